using FhirRisk.Meds.Ingestion;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Omop;

/// <summary>The OMOP export of the saved Synthea bundles through the ingestion pipeline (no vocabulary).</summary>
public sealed class OmopRealDataTests
{
    [ExternalDataFact]
    public void Ingest_SyntheaBundles_DeathCausesFromCertificatesAndVisitChains()
    {
        using var temp = new TempDirectory();
        new FhirIngestion(new FhirIngestionSettings { OutputFolder = temp.File("meds"), OmopFolder = temp.File("omop") })
            .Run([ExternalData.Path("fhir", "synthea-r4-bundles")]);

        // 4 deceased Patients; 3 of them have a 69453-9 certificate with a SNOMED cause (fhir/PROVENANCE.md).
        var deaths = OmopFixture.ReadRows(temp.File("omop", "death.csv"));
        Assert.Equal(4, deaths.Count);
        Assert.Equal(["26929004", "87433001", "95281009"], deaths.Select(d => d["cause_source_value"]).Where(c => c.Length > 0).Order(StringComparer.Ordinal));
        Assert.All(deaths.Where(d => d["cause_source_value"].Length > 0), d => Assert.Equal(["0", "0"], [d["cause_concept_id"], d["cause_source_concept_id"]]));

        // Each person's visits, in time order, form one chain: the first has no predecessor, every other names the one before.
        var visits = OmopFixture.ReadRows(temp.File("omop", "visit_occurrence.csv"));
        Assert.Equal(173, visits.Count);
        foreach (var person in visits.GroupBy(v => v["person_id"]))
        {
            var chain = person.OrderBy(v => v["visit_start_datetime"], StringComparer.Ordinal).ThenBy(v => v["visit_end_datetime"], StringComparer.Ordinal)
                .ThenBy(v => long.Parse(v["visit_occurrence_id"])).ToList();
            Assert.Equal(["", .. chain.SkipLast(1).Select(v => v["visit_occurrence_id"])], chain.Select(v => v["preceding_visit_occurrence_id"]));
        }
        Assert.Equal(12, visits.Count(v => v["preceding_visit_occurrence_id"].Length == 0));
    }

    [ExternalDataFact]
    public void Ingest_MimicStays_AreInpatientVisitsWithIcuDetails_AndDeathsLieInTheirPeriods()
    {
        // Review s18-omop #1 and #5: MIMIC-IV gives its admissions their admission type as class (EMER, OBSENC, AMB, SS)
        // and says "ICU" by identifier, so the class alone gave no Inpatient Visit and no Intensive Care row; and a death
        // after the last charted event lay outside the observation period.
        using var temp = new TempDirectory();
        var folder = ExternalData.Path("mimic-iv-demo", "mimic-iv-fhir-demo-2.1.0", "fhir");
        string[] files = ["MimicPatient.ndjson.gz", "MimicEncounter.ndjson.gz", "MimicEncounterED.ndjson.gz", "MimicEncounterICU.ndjson.gz", "MimicLocation.ndjson.gz"];
        new FhirIngestion(new FhirIngestionSettings { OutputFolder = temp.File("meds"), OmopFolder = temp.File("omop") })
            .Run([.. files.Select(f => Path.Combine(folder, f))]);

        var visits = OmopFixture.ReadRows(temp.File("omop", "visit_occurrence.csv"));
        var details = OmopFixture.ReadRows(temp.File("omop", "visit_detail.csv"));
        // Every hospital admission: an inpatient visit, or one that began in the emergency department (its ED stay a
        // visit_detail of it) and spans it.
        Assert.Equal(275, visits.Count(v => v["visit_concept_id"] is "9201" or "262"));
        Assert.Equal(visits.Count(v => v["visit_concept_id"] == "262"), details.Where(d => d["visit_detail_concept_id"] == "9203").Select(d => d["visit_occurrence_id"]).Distinct().Count());
        Assert.Equal(140, details.Count(d => d["visit_detail_concept_id"] == "32037")); // every ICU stay
        var periods = OmopFixture.ReadRows(temp.File("omop", "observation_period.csv")).ToDictionary(p => p["person_id"]);
        var deaths = OmopFixture.ReadRows(temp.File("omop", "death.csv"));
        Assert.NotEmpty(deaths);
        Assert.All(deaths, d => Assert.True(string.CompareOrdinal(d["death_date"], periods[d["person_id"]]["observation_period_end_date"]) <= 0));
    }
}
