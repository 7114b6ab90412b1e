using System.Text.Json.Nodes;
using FhirRisk.Meds.Ingestion;
using FhirRisk.Meds.Omop;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Omop;

/// <summary>
/// The OMOP export through the ingestion pipeline keeps the CDM's foreign keys and its visit and period conventions on
/// input that breaks them in every way a real export can (review s18-omop: persons without a person row, visits without
/// a visit row, sub-encounters of a missing parent or of themselves, MIMIC-IV's admissions and ICU stays, an end before
/// the start, a death after the last charted event).
/// </summary>
public sealed class OmopIntegrityTests : IDisposable
{
    private const string MimicSystem = "http://mimic.mit.edu/fhir/mimic/identifier/";
    private readonly TempDirectory _temp = new();
    private IReadOnlyDictionary<string, long> _issues = new Dictionary<string, long>();

    public void Dispose() => _temp.Dispose();

    private static JsonObject Reference(string reference) => new() { ["reference"] = reference };

    private static string Observation(string id, string patient, string? encounter, string when)
    {
        var json = new JsonObject
        {
            ["resourceType"] = "Observation", ["id"] = id, ["status"] = "final", ["subject"] = Reference("Patient/" + patient),
            ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = "2160-0" }) },
            ["effectiveDateTime"] = when,
            ["valueQuantity"] = new JsonObject { ["value"] = 1.2, ["unit"] = "mg/dL" },
        };
        if (encounter is not null)
            json["encounter"] = Reference("Encounter/" + encounter);
        return json.ToJsonString();
    }

    private static string Encounter(string id, string patient, string start, string end, string classCode = "IMP", string status = "finished",
        string? partOf = null, string? identifierKind = null)
    {
        var json = new JsonObject
        {
            ["resourceType"] = "Encounter", ["id"] = id, ["status"] = status,
            ["class"] = new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode", ["code"] = classCode },
            ["subject"] = Reference("Patient/" + patient),
            ["period"] = new JsonObject { ["start"] = start, ["end"] = end },
        };
        if (partOf is not null)
            json["partOf"] = Reference("Encounter/" + partOf);
        if (identifierKind is not null)
            json["identifier"] = new JsonArray(new JsonObject { ["system"] = MimicSystem + "encounter-" + identifierKind, ["value"] = id });
        return json.ToJsonString();
    }

    private Dictionary<string, List<Dictionary<string, string>>> Export()
    {
        string[] patients =
        [
            """{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-02-03","deceasedDateTime":"2020-06-30T08:00:00Z"}""",
            """{"resourceType":"Patient","id":"p2","gender":"male"}""", // no birthDate: no person row
        ];
        string[] encounters =
        [
            Encounter("stay", "p1", "2020-01-10T08:00:00Z", "2020-01-20T12:00:00Z"),
            // MIMIC-IV: a hospital admission whose class is its admission type, and an ICU stay inside it.
            Encounter("mimic-hosp", "p1", "2020-02-01T10:00:00Z", "2020-02-09T10:00:00Z", classCode: "EMER", identifierKind: "hosp"),
            Encounter("mimic-icu", "p1", "2020-02-02T10:00:00Z", "2020-02-04T10:00:00Z", classCode: "ACUTE", partOf: "mimic-hosp", identifierKind: "icu"),
            // ... and the emergency visit that led to it, recorded as its sub-encounter, hours before the admission.
            Encounter("mimic-ed", "p1", "2020-02-01T06:00:00Z", "2020-02-01T10:00:00Z", classCode: "EMER", partOf: "mimic-hosp", identifierKind: "ed"),
            // Two legs of a stay that is not in the input, and an encounter that names itself as its parent.
            Encounter("leg-a", "p1", "2020-03-01T10:00:00Z", "2020-03-02T10:00:00Z", partOf: "missing"),
            Encounter("leg-b", "p1", "2020-03-05T10:00:00Z", "2020-03-06T10:00:00Z", partOf: "missing"),
            Encounter("self", "p1", "2020-04-01T10:00:00Z", "2020-04-02T10:00:00Z", partOf: "self"),
            // Not exported: cancelled, and of a patient without a person row.
            Encounter("cancelled", "p1", "2020-05-01T10:00:00Z", "2020-05-02T10:00:00Z", status: "cancelled"),
            Encounter("of-p2", "p2", "2020-05-01T10:00:00Z", "2020-05-02T10:00:00Z"),
        ];
        string[] observations =
        [
            Observation("in-stay", "p1", "stay", "2020-01-11T08:00:00Z"),
            Observation("in-icu", "p1", "mimic-icu", "2020-02-03T08:00:00Z"),
            Observation("in-leg-b", "p1", "leg-b", "2020-03-05T12:00:00Z"),
            Observation("on-cancelled", "p1", "cancelled", "2020-05-01T12:00:00Z"),
            Observation("of-p2", "p2", "of-p2", "2020-05-01T12:00:00Z"),
            Observation("of-missing", "ghost", null, "2020-05-01T12:00:00Z"),
        ];
        string[] conditions =
        [
            """{"resourceType":"Condition","id":"backwards","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003"}]},"onsetDateTime":"2020-03-01","abatementDateTime":"2019-03-01"}""",
        ];
        var input = _temp.File("in");
        Directory.CreateDirectory(input);
        File.WriteAllLines(Path.Combine(input, "Patient.ndjson"), patients);
        File.WriteAllLines(Path.Combine(input, "Encounter.ndjson"), encounters);
        File.WriteAllLines(Path.Combine(input, "Observation.ndjson"), observations);
        File.WriteAllLines(Path.Combine(input, "Condition.ndjson"), conditions);

        _issues = new FhirIngestion(new FhirIngestionSettings { OutputFolder = _temp.File("meds"), OmopFolder = _temp.File("omop") }).Run([input]).IssuesByCode;
        return OmopTables.All.ToDictionary(t => t.Name, t => OmopFixture.ReadRows(_temp.File("omop", t.Name + ".csv")), StringComparer.Ordinal);
    }

    [Fact]
    public void EveryPersonAndVisitARowNames_IsInItsTable()
    {
        var tables = Export();

        var persons = tables["person"].Select(r => r["person_id"]).ToHashSet();
        Assert.Single(persons); // p2 has no birthDate; "ghost" is not in the input
        foreach (var (name, rows) in tables.Where(t => t.Key != "person"))
            Assert.All(rows, r => Assert.Contains(r["person_id"], persons));
        var occurrences = tables["visit_occurrence"].Select(r => r["visit_occurrence_id"]).ToHashSet();
        var details = tables["visit_detail"].Select(r => r["visit_detail_id"]).ToHashSet();
        foreach (var rows in tables.Values)
        {
            Assert.All(rows.Where(r => r.TryGetValue("visit_occurrence_id", out var v) && v.Length > 0), r => Assert.Contains(r["visit_occurrence_id"], occurrences));
            Assert.All(rows.Where(r => r.TryGetValue("visit_detail_id", out var v) && v.Length > 0), r => Assert.Contains(r["visit_detail_id"], details));
        }
        // The measurement on the cancelled encounter stays, without a visit; p2's and the ghost's are not exported.
        var measurements = tables["measurement"];
        Assert.Equal(4, measurements.Count);
        Assert.Single(measurements, m => m["visit_occurrence_id"].Length == 0);
    }

    [Fact]
    public void SubEncountersOfAMissingParentOrOfThemselves_AreVisitsOfTheirOwn_AndMimicStaysKeepTheirKind()
    {
        var tables = Export();

        // stay, mimic-hosp, leg-a, leg-b and self: five visit_occurrences, each under its own id; the ICU stay and the
        // emergency leg are mimic-hosp's visit_details.
        var occurrences = tables["visit_occurrence"];
        Assert.Equal(5, occurrences.Count);
        Assert.Equal(5, occurrences.Select(v => v["visit_occurrence_id"]).Distinct().Count());
        var hospital = Assert.Single(occurrences, v => v["visit_start_datetime"].StartsWith("2020-02-01", StringComparison.Ordinal));
        // MIMIC's admission (class EMER, its admission type) is an inpatient visit; one that began in the emergency
        // department is "Emergency Room and Inpatient Visit" and spans the emergency leg (OHDSI's convention).
        Assert.All(occurrences.Where(v => v != hospital), v => Assert.Equal("9201", v["visit_concept_id"]));
        Assert.Equal(("262", "2020-02-01 06:00:00"), (hospital["visit_concept_id"], hospital["visit_start_datetime"]));
        Assert.Equal(2, tables["visit_detail"].Count);
        var icu = Assert.Single(tables["visit_detail"], d => d["visit_detail_concept_id"] == "32037");
        Assert.Equal("9203", Assert.Single(tables["visit_detail"], d => d != icu)["visit_detail_concept_id"]);
        Assert.All(tables["visit_detail"], d => Assert.Equal(hospital["visit_occurrence_id"], d["visit_occurrence_id"]));
        var inIcu = Assert.Single(tables["measurement"], m => m["measurement_datetime"].StartsWith("2020-02-03", StringComparison.Ordinal));
        Assert.Equal((icu["visit_occurrence_id"], icu["visit_detail_id"]), (inIcu["visit_occurrence_id"], inIcu["visit_detail_id"]));
        var legB = Assert.Single(occurrences, v => v["visit_start_datetime"].StartsWith("2020-03-05", StringComparison.Ordinal));
        var inLegB = Assert.Single(tables["measurement"], m => m["measurement_datetime"].StartsWith("2020-03-05", StringComparison.Ordinal));
        Assert.Equal((legB["visit_occurrence_id"], ""), (inLegB["visit_occurrence_id"], inLegB["visit_detail_id"]));
    }

    [Fact]
    public void AnEndBeforeTheStart_IsLeftOut_AndTheDeathClosesTheObservationPeriod()
    {
        var tables = Export();

        Assert.True(_issues.ContainsKey("OMOP008")); // OmopIssueCodes.EndBeforeStart
        var condition = Assert.Single(tables["condition_occurrence"]);
        Assert.Equal(("2020-03-01", ""), (condition["condition_start_date"], condition["condition_end_date"]));
        // The period runs from the first event to the death (2020-06-30), after the last charted event (2020-05-01); the
        // backwards abatement (2019-03-01) does not stretch it.
        var period = Assert.Single(tables["observation_period"]);
        Assert.Equal(("2020-01-10", "2020-06-30"), (period["observation_period_start_date"], period["observation_period_end_date"]));
        Assert.Equal("2020-06-30", Assert.Single(tables["death"])["death_date"]);
    }

    [Theory]
    [InlineData(null, "2021-10-09", "2021-10-09 01:20:00", "2021-10-12")]
    [InlineData("America/New_York", "2021-10-08", "2021-10-08 21:20:00", "2021-10-11")]
    public void WithASiteTimeZone_DatesAndDatetimesAreItsDaysAndWallClock(string? zoneId, string startDate, string startDatetime, string deathDate)
    {
        // Review s18-omop #8: 84 of MIMIC-IV's 275 admissions, charted in the evening with -04:00, were dated the next day
        // (the UTC day), with --time-zone too; a date without a time keeps its written day either way.
        var zone = zoneId is null ? TimeZoneInfo.Utc : FhirRisk.Fhir.SiteTimeZone.TryFind(zoneId, out var found) ? found : throw new InvalidOperationException(zoneId);
        var input = _temp.File("zone-in");
        Directory.CreateDirectory(input);
        File.WriteAllLines(Path.Combine(input, "Patient.ndjson"),
            ["""{"resourceType":"Patient","id":"p1","birthDate":"1950-02-03","deceasedDateTime":"2021-10-12T02:00:00Z"}"""]);
        File.WriteAllLines(Path.Combine(input, "Encounter.ndjson"), [Encounter("e", "p1", "2021-10-08T21:20:00-04:00", "2021-10-10T09:00:00-04:00")]);
        File.WriteAllLines(Path.Combine(input, "Condition.ndjson"),
            ["""{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003"}]},"onsetDateTime":"2021-10-08"}"""]);

        new FhirIngestion(new FhirIngestionSettings
        {
            OutputFolder = _temp.File("zone-meds"), OmopFolder = _temp.File("zone-omop"), Reader = FhirRisk.Fhir.FhirReaderSettings.Default with { TimeZone = zone },
        }).Run([input]);

        var visit = Assert.Single(OmopFixture.ReadRows(_temp.File("zone-omop", "visit_occurrence.csv")));
        Assert.Equal((startDate, startDatetime), (visit["visit_start_date"], visit["visit_start_datetime"]));
        Assert.Equal("2021-10-08", Assert.Single(OmopFixture.ReadRows(_temp.File("zone-omop", "condition_occurrence.csv")))["condition_start_date"]);
        Assert.Equal(deathDate, Assert.Single(OmopFixture.ReadRows(_temp.File("zone-omop", "death.csv")))["death_date"]);
    }

    [Fact]
    public void ParentChainsResolveWhereTheEncounterIs_CyclesAndOtherPersonsVisitsGiveNoDanglingIds()
    {
        // Review s18-changes #1, #2, #5: an encounter's subject and partOf were resolved in the bundle of the fact that
        // names it; a partOf cycle made both encounters visit_details of each other, with no visit_occurrence; a fact or
        // sub-encounter took another person's visit.
        static JsonObject Entry(string fullUrl, string json) => new() { ["fullUrl"] = fullUrl, ["resource"] = JsonNode.Parse(json) };
        var bundleA = new JsonObject
        {
            ["resourceType"] = "Bundle", ["type"] = "collection",
            ["entry"] = new JsonArray(
                Entry("urn:uuid:pa", """{"resourceType":"Patient","id":"pa","birthDate":"1960-01-01"}"""),
                Entry("urn:uuid:h", Encounter("h", "pa", "2020-01-01T10:00:00Z", "2020-01-09T10:00:00Z").Replace("\"Patient/pa\"", "\"urn:uuid:pa\"", StringComparison.Ordinal)),
                Entry("urn:uuid:i", Encounter("i", "pa", "2020-01-02T10:00:00Z", "2020-01-04T10:00:00Z", identifierKind: "icu")
                    .Replace("\"Patient/pa\"", "\"urn:uuid:pa\"", StringComparison.Ordinal)
                    .Replace("\"identifier\"", "\"partOf\":{\"reference\":\"urn:uuid:h\"},\"identifier\"", StringComparison.Ordinal))),
        };
        var input = _temp.File("chains-in");
        Directory.CreateDirectory(input);
        File.WriteAllText(Path.Combine(input, "bundle-a.json"), bundleA.ToJsonString());
        File.WriteAllLines(Path.Combine(input, "Patient.ndjson"), ["""{"resourceType":"Patient","id":"pb","birthDate":"1970-01-01"}"""]);
        File.WriteAllLines(Path.Combine(input, "Encounter.ndjson"),
        [
            Encounter("cycle-a", "pb", "2020-02-01T10:00:00Z", "2020-02-02T10:00:00Z", partOf: "cycle-b"),
            Encounter("cycle-b", "pb", "2020-02-03T10:00:00Z", "2020-02-04T10:00:00Z", partOf: "cycle-a"),
            Encounter("pb-leg-of-pa", "pb", "2020-01-03T10:00:00Z", "2020-01-03T12:00:00Z", partOf: "h"),
        ]);
        File.WriteAllLines(Path.Combine(input, "Observation.ndjson"),
        [
            Observation("pa-in-icu", "pa", "i", "2020-01-03T08:00:00Z"),   // another file than its encounter's bundle
            Observation("pb-in-cycle", "pb", "cycle-a", "2020-02-01T12:00:00Z"),
            Observation("pb-on-pas-stay", "pb", "h", "2020-01-05T12:00:00Z"), // another person's visit
        ]);

        new FhirIngestion(new FhirIngestionSettings { OutputFolder = _temp.File("chains-meds"), OmopFolder = _temp.File("chains-omop") }).Run([input]);

        var occurrences = OmopFixture.ReadRows(_temp.File("chains-omop", "visit_occurrence.csv"));
        var details = OmopFixture.ReadRows(_temp.File("chains-omop", "visit_detail.csv"));
        var measurements = OmopFixture.ReadRows(_temp.File("chains-omop", "measurement.csv")).ToDictionary(m => m["measurement_datetime"]);
        // h is pa's stay with its ICU detail i; the cycle's two encounters and pb's leg under pa's stay are pb's own visits.
        Assert.Equal(4, occurrences.Count);
        var icu = Assert.Single(details);
        var stay = Assert.Single(occurrences, v => v["visit_occurrence_id"] == icu["visit_occurrence_id"]);
        Assert.Equal(stay["person_id"], icu["person_id"]);
        Assert.Equal((icu["visit_occurrence_id"], icu["visit_detail_id"]), (measurements["2020-01-03 08:00:00"]["visit_occurrence_id"], measurements["2020-01-03 08:00:00"]["visit_detail_id"]));
        Assert.Contains(measurements["2020-02-01 12:00:00"]["visit_occurrence_id"], occurrences.Select(v => v["visit_occurrence_id"]));
        Assert.Equal(("", ""), (measurements["2020-01-05 12:00:00"]["visit_occurrence_id"], measurements["2020-01-05 12:00:00"]["visit_detail_id"]));
        Assert.All(occurrences.Where(v => v != stay), v => Assert.NotEqual(stay["person_id"], v["person_id"]));
        Assert.Equal("", icu["parent_visit_detail_id"]); // a detail of the stay itself
    }

    [Fact]
    public void ADetailOfADetail_NamesItsParentDetail_AndTheStayAtTheTop()
    {
        var input = _temp.File("nested-in");
        Directory.CreateDirectory(input);
        File.WriteAllLines(Path.Combine(input, "Patient.ndjson"), [new JsonObject { ["resourceType"] = "Patient", ["id"] = "p1", ["birthDate"] = "1960-01-01" }.ToJsonString()]);
        File.WriteAllLines(Path.Combine(input, "Encounter.ndjson"),
        [
            Encounter("stay", "p1", "2020-01-01T10:00:00Z", "2020-01-09T10:00:00Z"),
            Encounter("ward", "p1", "2020-01-01T12:00:00Z", "2020-01-08T10:00:00Z", partOf: "stay"),
            Encounter("icu", "p1", "2020-01-02T10:00:00Z", "2020-01-04T10:00:00Z", partOf: "ward", identifierKind: "icu"),
        ]);

        new FhirIngestion(new FhirIngestionSettings { OutputFolder = _temp.File("nested-meds"), OmopFolder = _temp.File("nested-omop") }).Run([input]);

        var stay = Assert.Single(OmopFixture.ReadRows(_temp.File("nested-omop", "visit_occurrence.csv")));
        var details = OmopFixture.ReadRows(_temp.File("nested-omop", "visit_detail.csv")).ToDictionary(d => d["visit_detail_start_datetime"]);
        Assert.Equal(2, details.Count);
        var (ward, icu) = (details["2020-01-01 12:00:00"], details["2020-01-02 10:00:00"]);
        Assert.All(details.Values, d => Assert.Equal(stay["visit_occurrence_id"], d["visit_occurrence_id"]));
        Assert.Equal(("", ward["visit_detail_id"]), (ward["parent_visit_detail_id"], icu["parent_visit_detail_id"]));
        Assert.Equal("32037", icu["visit_detail_concept_id"]);
    }
}
