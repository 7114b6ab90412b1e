using FhirRisk.Meds.FhirMapping;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Ingestion;

/// <summary>
/// Copies of one Patient, Encounter, Location or Medication (same type and id) in one run are read once, as the service
/// stores them: the latest <c>meta.lastUpdated</c>, else the highest <c>meta.versionId</c>, else the last in input order
/// (review s15-fhir #3: every copy was mapped — two stays for one encounter — and the first Patient copy won). Copies of
/// other types are each mapped (docs/formats/fhir-ingestion.md "Copies of one resource").
/// </summary>
public sealed class ResourceCopiesTests
{
    private const string Patient = """{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-01-01"}""";

    private static string Creatinine(string id, double value, string meta = "") =>
        $$$"""{"resourceType":"Observation","id":"{{{id}}}",{{{meta}}}"status":"final","subject":{"reference":"Patient/p1"},"effectiveDateTime":"2021-03-04T05:06:00Z","code":{"coding":[{"system":"http://loinc.org","code":"2160-0"}]},"valueQuantity":{"value":{{{value.ToString(System.Globalization.CultureInfo.InvariantCulture)}}},"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}}""";

    private static (MedsSubject Subject, FhirRisk.Meds.Ingestion.FhirIngestionSummary Summary) Ingest(TempDirectory temp, params (string File, string[] Lines)[] files)
    {
        foreach (var (file, lines) in files)
            File.WriteAllText(temp.File(file), string.Join('\n', lines) + "\n");
        var summary = FhirIngestionRealDataTests.Ingest(temp.File("out"), [.. files.Select(f => temp.File(f.File))]);
        return (MedsDatasetReader.Open(temp.File("out")).ReadSubjects().Single(), summary);
    }

    private static double?[] Creatinines(MedsSubject subject) =>
        [.. subject.Events.Where(e => e.Code.StartsWith("LOINC//2160-0", StringComparison.Ordinal)).Select(e => (double?)e.NumericValue)];

    private static string Stay(string end, string meta = "") =>
        $$$"""{"resourceType":"Encounter","id":"e1",{{{meta}}}"status":"finished","class":{"code":"IMP"},"subject":{"reference":"Patient/p1"},"period":{"start":"2021-03-04T00:00:00Z","end":"{{{end}}}"}}""";

    private static DateTime[] Discharges(MedsSubject subject) =>
        [.. subject.Events.Where(e => e.Code.StartsWith("HOSPITAL_DISCHARGE", StringComparison.Ordinal)).Select(e => e.Time!.Value)];

    [Fact]
    public void The_encounter_copy_with_the_latest_lastUpdated_is_the_stay_whichever_file_comes_first()
    {
        using var temp = new TempDirectory();
        var newer = Stay("2021-03-09T00:00:00Z", """ "meta":{"lastUpdated":"2021-03-10T00:00:00Z"}, """);
        var older = Stay("2021-03-06T00:00:00Z", """ "meta":{"lastUpdated":"2021-03-06T01:00:00Z"}, """);

        var (subject, summary) = Ingest(temp, ("a.ndjson", [Patient, newer]), ("b.ndjson", [older]));

        Assert.Equal([new DateTime(2021, 3, 9, 0, 0, 0, DateTimeKind.Utc)], Discharges(subject));
        Assert.Single(subject.Events, e => e.Code.StartsWith("HOSPITAL_ADMISSION", StringComparison.Ordinal));
        Assert.Equal(1, summary.IssuesByCode[FhirMappingIssueCodes.SupersededCopy]);
        var issue = Assert.Single(summary.Issues, i => i.Code == FhirMappingIssueCodes.SupersededCopy);
        Assert.EndsWith("b.ndjson:line 1", issue.Path, StringComparison.Ordinal);
        Assert.Contains("a.ndjson:line 2", issue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_highest_versionId_wins_in_a_history_bundle_and_without_meta_the_last_copy_does()
    {
        using var temp = new TempDirectory();
        string Entry(string resource) => $$$"""{"fullUrl":"urn:uuid:{{{Guid.NewGuid()}}}","resource":{{{resource}}}}""";
        var three = Entry(Stay("2021-03-09T00:00:00Z", """ "meta":{"versionId":"3"}, """));
        var two = Entry(Stay("2021-03-08T00:00:00Z", """ "meta":{"versionId":"2"}, """));
        var history = $$$"""{"resourceType":"Bundle","type":"history","entry":[{{{Entry(Patient)}}},{{{three}}},{{{two}}}]}""";
        var plain = Stay("2022-01-02T00:00:00Z").Replace("\"e1\"", "\"e2\"", StringComparison.Ordinal).Replace("2021-03-04", "2022-01-01", StringComparison.Ordinal);
        var later = Stay("2022-01-05T00:00:00Z").Replace("\"e1\"", "\"e2\"", StringComparison.Ordinal).Replace("2021-03-04", "2022-01-01", StringComparison.Ordinal);

        var (subject, _) = Ingest(temp, ("history.json", [history]), ("plain.ndjson", [plain, later]));

        Assert.Equal([new DateTime(2021, 3, 9, 0, 0, 0, DateTimeKind.Utc), new DateTime(2022, 1, 5, 0, 0, 0, DateTimeKind.Utc)], Discharges(subject));
    }

    [Fact]
    public void A_copy_that_cannot_be_parsed_is_quarantined_not_taken_for_a_superseded_one()
    {
        // Parsed copies decide the winner; a copy the parser refuses (nesting past its depth limit) is still quarantined.
        using var temp = new TempDirectory();
        var deep = Stay("2021-03-07T00:00:00Z").Replace("\"status\"", "\"extension\":" + new string('[', 70) + new string(']', 70) + ",\"status\"", StringComparison.Ordinal);

        var (subject, summary) = Ingest(temp, ("a.ndjson", [Patient, Stay("2021-03-06T00:00:00Z"), Stay("2021-03-08T00:00:00Z"), deep]));

        Assert.Equal([new DateTime(2021, 3, 8, 0, 0, 0, DateTimeKind.Utc)], Discharges(subject));
        Assert.Equal(1, summary.Quarantined);
        Assert.Equal(1, summary.IssuesByCode[FhirMappingIssueCodes.SupersededCopy]);
    }

    [Fact]
    public void Copies_of_other_types_are_each_mapped()
    {
        using var temp = new TempDirectory();

        var (subject, summary) = Ingest(temp, ("a.ndjson", [Patient, Creatinine("o1", 1.1), Creatinine("o1", 2.4)]));

        Assert.Equal(2, Creatinines(subject).Length);
        Assert.False(summary.IssuesByCode.ContainsKey(FhirMappingIssueCodes.SupersededCopy));
    }

    [Fact]
    public void A_later_Patient_copy_with_a_death_gives_the_death_and_resources_without_an_id_are_all_kept()
    {
        using var temp = new TempDirectory();
        const string Died = """{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-01-01","deceasedDateTime":"2021-03-04T05:06:00Z"}""";
        var anonymous = Creatinine("x", 1.5).Replace("\"id\":\"x\",", "", StringComparison.Ordinal);

        var (subject, _) = Ingest(temp, ("Patient.000.ndjson", [Patient]), ("Patient.001.ndjson", [Died]), ("Observation.ndjson", [anonymous, anonymous]));

        Assert.Single(subject.Events, e => e.Code == MedsSchema.DeathCode);
        Assert.Equal(2, Creatinines(subject).Length);
    }

    [Fact]
    public void A_superseded_copys_bundle_still_resolves_its_urn_uuid_references_to_the_winner()
    {
        // Bundle A holds an older copy of Encounter e1 and an Observation naming it by urn:uuid; bundle B the newer copy.
        using var temp = new TempDirectory();
        const string OldEncounter = """{"resourceType":"Encounter","id":"e1","meta":{"versionId":"1"},"status":"finished","class":{"code":"IMP"},"subject":{"reference":"Patient/p1"},"period":{"start":"2021-03-04T00:00:00Z","end":"2021-03-06T00:00:00Z"}}""";
        const string NewEncounter = """{"resourceType":"Encounter","id":"e1","meta":{"versionId":"2"},"status":"finished","class":{"code":"IMP"},"subject":{"reference":"Patient/p1"},"period":{"start":"2021-03-04T00:00:00Z","end":"2021-03-07T00:00:00Z"}}""";
        var observation = Creatinine("o1", 1.1).Replace("\"subject\":{\"reference\":\"Patient/p1\"}", "\"subject\":{\"reference\":\"Patient/p1\"},\"encounter\":{\"reference\":\"urn:uuid:aaaaaaaa-0000-0000-0000-000000000001\"}", StringComparison.Ordinal);
        var a = $$$"""{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:aaaaaaaa-0000-0000-0000-000000000001","resource":{{{OldEncounter}}}},{"resource":{{{observation}}}}]}""";
        var b = $$$"""{"resourceType":"Bundle","type":"collection","entry":[{"resource":{{{Patient}}}},{"resource":{{{NewEncounter}}}}]}""";

        var (subject, summary) = Ingest(temp, ("a.json", [a]), ("b.json", [b]));

        Assert.Single(subject.Events, e => e.Code.StartsWith("HOSPITAL_ADMISSION", StringComparison.Ordinal));
        Assert.Equal(new DateTime(2021, 3, 7, 0, 0, 0, DateTimeKind.Utc), Assert.Single(subject.Events, e => e.Code.StartsWith("HOSPITAL_DISCHARGE", StringComparison.Ordinal)).Time);
        var creatinine = Assert.Single(subject.Events, e => e.Code.StartsWith("LOINC//2160-0", StringComparison.Ordinal));
        Assert.NotNull(creatinine.EncounterId);
        Assert.DoesNotContain(summary.Issues, i => i.Code == FhirMappingIssueCodes.UnresolvedEncounter);
    }
}
