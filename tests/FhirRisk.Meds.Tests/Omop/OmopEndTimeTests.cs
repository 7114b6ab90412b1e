using FhirRisk.Meds.Ingestion;
using FhirRisk.Meds.Omop;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Omop;

/// <summary>
/// Review s22 OMOP M1: an end given by date only, on the day of a timed start, was written at that day's midnight,
/// hours before the start (15:00 to 00:00), for visits, conditions, procedures and every one-day dispense.
/// </summary>
public sealed class OmopEndTimeTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_date_only_end_on_the_day_of_a_timed_start_is_not_before_it()
    {
        var input = _temp.File("in");
        Directory.CreateDirectory(input);
        File.WriteAllLines(Path.Combine(input, "Patient.ndjson"),
            ["""{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-02-03"}"""]);
        File.WriteAllLines(Path.Combine(input, "Encounter.ndjson"),
            ["""{"resourceType":"Encounter","id":"e1","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/p1"},"period":{"start":"2020-01-01T15:00:00Z","end":"2020-01-01"}}"""]);
        File.WriteAllLines(Path.Combine(input, "Condition.ndjson"),
            ["""{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003"}]},"onsetDateTime":"2020-01-01T15:00:00Z","abatementDateTime":"2020-01-01"}"""]);
        File.WriteAllLines(Path.Combine(input, "MedicationDispense.ndjson"),
            ["""{"resourceType":"MedicationDispense","id":"d1","status":"completed","subject":{"reference":"Patient/p1"},"medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"197361"}]},"whenHandedOver":"2020-01-01T15:00:00Z","daysSupply":{"value":1}}"""]);

        new FhirIngestion(new FhirIngestionSettings { OutputFolder = _temp.File("meds"), OmopFolder = _temp.File("omop") }).Run([input]);
        List<Dictionary<string, string>> Rows(string table) => OmopFixture.ReadRows(_temp.File("omop", table + ".csv"));

        foreach (var (table, prefix) in new[] { ("visit_occurrence", "visit"), ("condition_occurrence", "condition"), ("drug_exposure", "drug_exposure") })
        {
            var row = Assert.Single(Rows(table));
            Assert.Equal("2020-01-01", row[prefix + "_end_date"]);
            Assert.True(string.CompareOrdinal(row[prefix + "_end_datetime"], row[prefix + "_start_datetime"]) >= 0,
                $"{table}: {row[prefix + "_start_datetime"]} to {row[prefix + "_end_datetime"]}");
        }
    }
}
