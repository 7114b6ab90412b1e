using FhirRisk.Meds;
using FhirRisk.Testing;

namespace FhirRisk.Cli.Tests;

public sealed class IngestCommandTests
{
    [ExternalDataFact]
    public async Task Ingest_BulkNdjsonFolder_TablesValidDatasetAndExitZero()
    {
        using var temp = new TempDirectory();
        var output = temp.File("meds");

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("ingest", ExternalData.Path("fhir", "bulk-ndjson-10-patients"), "--out", output,
            "--shards", "2", "--created-at", "2025-01-01T00:00:00Z");

        Assert.True(exitCode == ExitCodes.Success, stderr);
        Assert.Contains("Resources by type", stdout, StringComparison.Ordinal);
        Assert.Contains("Events by code family", stdout, StringComparison.Ordinal);
        Assert.Contains("Issues by code", stdout, StringComparison.Ordinal);
        Assert.Contains("MEDS_BIRTH", stdout, StringComparison.Ordinal);
        Assert.Contains("Quarantined: 4", stdout, StringComparison.Ordinal);
        Assert.Contains("for 13 subjects", stdout, StringComparison.Ordinal);
        Assert.True(MedsValidator.IsValid(MedsValidator.Validate(output)));
        Assert.Contains("\"created_at\": \"2025-01-01T00:00:00", File.ReadAllText(Path.Combine(output, "metadata", "dataset.json")), StringComparison.Ordinal);
    }

    [UnixFact]
    public async Task Ingest_InputText_NotPrintedAsATypeAndIssuesFileOwnerOnly()
    {
        // Review phi.md #6: a resourceType string reached stdout verbatim; issues.ndjson (which quotes values) was 0644.
        using var temp = new TempDirectory();
        var input = temp.File("Patient.ndjson");
        await File.WriteAllTextAsync(input, string.Join('\n',
            "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"female\",\"birthDate\":\"1980-02-03\"}",
            "{\"resourceType\":\"ZQXTYPE Quarvenholt MRN-ZQX-778899\",\"id\":\"x\"}",
            "{\"resourceType\":\"Patient\",\"id\":\"p2\",") + "\n");

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("ingest", input, "--out", temp.File("meds"));

        Assert.True(exitCode == ExitCodes.Success, stderr);
        Assert.DoesNotContain("ZQX", stdout, StringComparison.Ordinal);
        Assert.Contains("(other type)", stdout, StringComparison.Ordinal);
        UnixFileModes.AssertOwnerOnlyFile(temp.File("meds", "issues.ndjson"));
    }

    [Fact]
    public async Task Ingest_SubjectKeyFile_KeysTheSubjectIdsAndAShortKeyIsAUsageErrorThatDoesNotPrintIt()
    {
        using var temp = new TempDirectory();
        var input = temp.File("Patient.ndjson");
        await File.WriteAllTextAsync(input, "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"female\",\"birthDate\":\"1980-02-03\"}\n");
        await File.WriteAllTextAsync(temp.File("short.key"), "ZQXSHORTKEY\n");
        await File.WriteAllTextAsync(temp.File("subject.key"), new string('k', 64) + "\n");

        var refused = await CliRun.RunAsync("ingest", input, "--out", temp.File("refused"), "--subject-key-file", temp.File("short.key"));
        var keyed = await CliRun.RunAsync("ingest", input, "--out", temp.File("keyed"), "--subject-key-file", temp.File("subject.key"));
        var unkeyed = await CliRun.RunAsync("ingest", input, "--out", temp.File("unkeyed"));

        Assert.Equal(ExitCodes.UsageError, refused.ExitCode);
        Assert.DoesNotContain("ZQX", refused.Error + refused.Output, StringComparison.Ordinal);
        Assert.True(keyed.ExitCode == ExitCodes.Success, keyed.Error);
        Assert.True(unkeyed.ExitCode == ExitCodes.Success, unkeyed.Error);
        long Subject(string dataset) => MedsDatasetReader.Open(temp.File(dataset)).ReadSubjects().Single().SubjectId;
        Assert.Equal(FhirRisk.Core.StableHash.KeyedOf63(System.Text.Encoding.ASCII.GetBytes(new string('k', 64)), "fhir|Patient/p1"), Subject("keyed"));
        Assert.Equal(FhirRisk.Core.StableHash.Of63("fhir|Patient/p1"), Subject("unkeyed"));
    }

    [Fact]
    public async Task Ingest_TimeZone_PlacesDatesWithoutATimeOnTheSitesDaysAndAnUnknownZoneIsAUsageError()
    {
        using var temp = new TempDirectory();
        var input = temp.File("resources.ndjson");
        await File.WriteAllLinesAsync(input, [
            "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"female\",\"birthDate\":\"1980-02-03\",\"deceasedDateTime\":\"2024-07-10\"}",
            "{\"resourceType\":\"Condition\",\"id\":\"c1\",\"subject\":{\"reference\":\"Patient/p1\"},\"code\":{\"coding\":[{\"system\":\"http://hl7.org/fhir/sid/icd-10-cm\",\"code\":\"I10\"}]},\"recordedDate\":\"2024-07-04\"}",
        ]);

        var utc = await CliRun.RunAsync("ingest", input, "--out", temp.File("utc"));
        var site = await CliRun.RunAsync("ingest", input, "--out", temp.File("site"), "--time-zone", "America/New_York");
        var unknown = await CliRun.RunAsync("ingest", input, "--out", temp.File("unknown"), "--time-zone", "Mars/Olympus_Mons");

        Assert.True(utc.ExitCode == ExitCodes.Success, utc.Error);
        Assert.True(site.ExitCode == ExitCodes.Success, site.Error);
        DateTime? Time(string dataset, string prefix) =>
            MedsDatasetReader.Open(temp.File(dataset)).ReadSubjects().Single().Events.Single(e => e.Code.StartsWith(prefix, StringComparison.Ordinal)).Time;
        // A recorded date, as a date-only death, is known at its day's end, the site's day (docs/formats/fhir-ingestion.md "Time").
        Assert.Equal(new DateTime(2024, 7, 5, 0, 0, 0, DateTimeKind.Utc).AddTicks(-10), Time("utc", "ICD10CM//I10"));
        Assert.Equal(new DateTime(2024, 7, 5, 4, 0, 0, DateTimeKind.Utc).AddTicks(-10), Time("site", "ICD10CM//I10"));
        Assert.Equal(new DateTime(2024, 7, 11, 4, 0, 0, DateTimeKind.Utc).AddTicks(-10), Time("site", "MEDS_DEATH"));
        Assert.Equal(new DateTime(1980, 2, 3, 5, 0, 0, DateTimeKind.Utc), Time("site", "MEDS_BIRTH"));
        // The zone is recorded for the tokenizer fitted on the dataset, and through it for the service (Model:TimeZone).
        Assert.Equal("America/New_York", MedsDatasetReader.Open(temp.File("site")).Metadata!.SiteTimeZone);
        Assert.Null(MedsDatasetReader.Open(temp.File("utc")).Metadata!.SiteTimeZone);
        Assert.Equal(ExitCodes.UsageError, unknown.ExitCode);
        Assert.Contains("IANA id", unknown.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.File("unknown")));
    }

    [Fact]
    public async Task Ingest_TimeZoneEastOfUtc_KeepsTheWrittenDaysInOmopAndCountsAgesFromTheWrittenBirthday()
    {
        // East of UTC a local midnight is the evening before in UTC: the OMOP date columns and an onset given as an age
        // must still count the days as written, not the UTC days of those instants.
        using var temp = new TempDirectory();
        var input = temp.File("resources.ndjson");
        await File.WriteAllLinesAsync(input, [
            "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"female\",\"birthDate\":\"1980-02-03\",\"deceasedDateTime\":\"2024-07-10\"}",
            "{\"resourceType\":\"Condition\",\"id\":\"c1\",\"subject\":{\"reference\":\"Patient/p1\"},\"code\":{\"coding\":[{\"system\":\"http://hl7.org/fhir/sid/icd-10-cm\",\"code\":\"I10\"}]},\"recordedDate\":\"2024-07-04\"}",
            "{\"resourceType\":\"Condition\",\"id\":\"c2\",\"subject\":{\"reference\":\"Patient/p1\"},\"code\":{\"coding\":[{\"system\":\"http://hl7.org/fhir/sid/icd-10-cm\",\"code\":\"E11\"}]},\"onsetAge\":{\"value\":44,\"unit\":\"years\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"a\"}}",
        ]);

        var run = await CliRun.RunAsync("ingest", input, "--out", temp.File("meds"), "--omop", temp.File("omop"), "--time-zone", "Europe/Berlin");

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var events = MedsDatasetReader.Open(temp.File("meds")).ReadSubjects().Single().Events;
        Assert.Equal(new DateTime(2024, 7, 4, 22, 0, 0, DateTimeKind.Utc).AddTicks(-10), events.Single(e => e.Code == "ICD10CM//I10").Time); // the day's end, CEST, +2
        Assert.Equal(new DateTime(2024, 2, 2, 23, 0, 0, DateTimeKind.Utc), events.Single(e => e.Code == "ICD10CM//E11").Time); // the 44th birthday, CET
        Assert.Equal(new DateTime(1980, 2, 2, 23, 0, 0, DateTimeKind.Utc), events.Single(e => e.Code == "MEDS_BIRTH").Time);
        string Column(string table, string column)
        {
            var lines = File.ReadAllLines(temp.File("omop", table + ".csv"));
            var header = lines[0].Split(',');
            return string.Join(";", lines.Skip(1).Select(line => line.Split(',')[Array.IndexOf(header, column)]).Order(StringComparer.Ordinal));
        }
        Assert.Equal("2024-02-03;2024-07-04", Column("condition_occurrence", "condition_start_date"));
        Assert.Equal("1980", Column("person", "year_of_birth"));
        Assert.Equal("2", Column("person", "month_of_birth"));
        Assert.Equal("3", Column("person", "day_of_birth"));
        Assert.Equal("1980-02-03 00:00:00", Column("person", "birth_datetime"));
        Assert.Equal("2024-07-10", Column("death", "death_date"));
    }

    [Fact]
    public async Task Ingest_OnlyUnsupportedOrBrokenResources_ExitOneKeepingOnlyTheEvidence()
    {
        using var temp = new TempDirectory();
        var input = temp.File("Organization.ndjson");
        await File.WriteAllTextAsync(input, "{\"resourceType\":\"Organization\",\"id\":\"o1\"}\n{\"resourceType\":\n");

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("ingest", input, "--out", temp.File("meds"));

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("Organization", stdout, StringComparison.Ordinal);
        Assert.Contains("nothing could be ingested", stderr, StringComparison.Ordinal);
        // No empty dataset is left for the next verb to take for one (CLI review s10); the issues stay, to say why.
        Assert.False(Directory.Exists(Path.Combine(temp.File("meds"), "metadata")));
        Assert.False(Directory.Exists(Path.Combine(temp.File("meds"), "data")));
        Assert.True(File.Exists(Path.Combine(temp.File("meds"), "issues.ndjson")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(temp.File("meds"), "quarantine")));
        Assert.Contains("keeps only the quarantine and issues.ndjson", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_AFolderWithNoFhirFileOrAnOutThatIsAFile_SaysSoAndHowToRunAgain()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.File("empty"));
        var input = temp.File("Patient.ndjson");
        await File.WriteAllTextAsync(input, "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"female\",\"birthDate\":\"1980-02-03\"}\n");
        await File.WriteAllTextAsync(temp.File("a-file"), "x");

        var empty = await CliRun.RunAsync("ingest", temp.File("empty"), "--out", temp.File("meds"));
        var outIsFile = await CliRun.RunAsync("ingest", input, "--out", temp.File("a-file"));

        Assert.Equal(ExitCodes.Failure, empty.ExitCode);
        Assert.Contains("no FHIR file was found in the inputs", empty.Error, StringComparison.Ordinal);
        Assert.Contains("nothing was kept", empty.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.File("meds")), "a run that ingested nothing and found no issue leaves no folder");
        Assert.Equal(ExitCodes.UsageError, outIsFile.ExitCode);
        Assert.Contains("is a file", outIsFile.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_WritesWhereEachIssueIs_BesideTheDataset()
    {
        using var temp = new TempDirectory();
        var input = temp.File("resources.ndjson");
        await File.WriteAllTextAsync(input,
            "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"female\",\"birthDate\":\"1980-02-03\"}\n" +
            "{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\",\"subject\":{\"reference\":\"Patient/p1\"},\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2160-0\"}]}}\n");
        var output = temp.File("meds");

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("ingest", input, "--out", output);

        Assert.True(exitCode == 0, stderr);
        var lines = File.ReadAllLines(Path.Combine(output, FhirRisk.Cli.Commands.IngestCommand.IssuesFile));
        using var issue = System.Text.Json.JsonDocument.Parse(Assert.Single(lines));
        Assert.Equal("FHIRMAP007", issue.RootElement.GetProperty("code").GetString());
        Assert.StartsWith(input + ":", issue.RootElement.GetProperty("path").GetString(), StringComparison.Ordinal);
        Assert.Contains("all 1 issues", stdout, StringComparison.Ordinal);
        Assert.Equal(0, (await CliRun.RunAsync("meds", "validate", output)).ExitCode);
    }

    [Fact]
    public async Task Ingest_MissingInput_UsageError()
    {
        using var temp = new TempDirectory();

        var (exitCode, _, stderr) = await CliRun.RunAsync("ingest", temp.File("absent.ndjson"), "--out", temp.File("meds"));

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("input not found", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ingest")]
    [InlineData("ingest", "x.ndjson")]
    [InlineData("ingest", "x.ndjson", "--out", "o", "--shards", "0")]
    [InlineData("ingest", "x.ndjson", "--out", "o", "--created-at", "nonsense")]
    [InlineData("ingest", ".", "--out", "o", "--omop-vocabulary", ".")]
    public async Task Ingest_BadArguments_UsageError(params string[] args)
    {
        var (exitCode, _, stderr) = await CliRun.RunAsync(args);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("hint:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_OutputHoldsDataset_UsageError()
    {
        using var temp = new TempDirectory();
        var input = temp.File("Patient.ndjson");
        await File.WriteAllTextAsync(input, "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"female\",\"birthDate\":\"1980-02-03\"}\n");
        var output = temp.File("meds");
        Assert.Equal(ExitCodes.Success, (await CliRun.RunAsync("ingest", input, "--out", output)).ExitCode);

        var (exitCode, _, stderr) = await CliRun.RunAsync("ingest", input, "--out", output);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("is not empty", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("meds", "meds")]
    [InlineData("meds", "meds/data")]
    [InlineData("cohort/meds", "cohort")]
    public async Task Ingest_OmopFolderOverlappingOut_RefusedBeforeAnythingIsWritten(string output, string omop)
    {
        // CLI review s10 #4: --omop <out>/data wrote the OMOP tables, then the MEDS writer refused the folder they filled.
        using var temp = new TempDirectory();
        var input = temp.File("Patient.ndjson");
        await File.WriteAllTextAsync(input, "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"female\",\"birthDate\":\"1980-02-03\"}\n");

        var (exitCode, _, stderr) = await CliRun.RunAsync("ingest", input, "--out", temp.File(output), "--omop", temp.File(omop) + "/");

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("overlap", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.File(output)) || Directory.Exists(temp.File(omop)));
        Assert.False(IngestCommandOverlaps("a/meds", "a/omop"));
    }

    private static bool IngestCommandOverlaps(string a, string b) => FhirRisk.Cli.Commands.IngestCommand.Overlaps(a, b);
}
