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
            var chain = person.OrderBy(v => v["visit_start_datetime"], StringComparer.Ordinal).ThenBy(v => long.Parse(v["visit_occurrence_id"])).ToList();
            Assert.Equal(["", .. chain.SkipLast(1).Select(v => v["visit_occurrence_id"])], chain.Select(v => v["preceding_visit_occurrence_id"]));
        }
        Assert.Equal(12, visits.Count(v => v["preceding_visit_occurrence_id"].Length == 0));
    }
}
