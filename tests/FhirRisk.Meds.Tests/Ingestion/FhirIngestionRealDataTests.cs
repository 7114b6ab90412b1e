using System.IO.Compression;
using FhirRisk.Core;
using FhirRisk.Meds.Ingestion;
using FhirRisk.Parquet;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Ingestion;

/// <summary>Golden runs over ../shared/data: every output is valid MEDS and counts agree with the inputs.</summary>
public sealed class FhirIngestionRealDataTests
{
    internal static FhirIngestionSummary Ingest(string output, params string[] inputs) => IngestWithOmop(output, omop: null, inputs);

    internal static FhirIngestionSummary IngestWithOmop(string output, string? omop, params string[] inputs) => new FhirIngestion(new FhirIngestionSettings
    {
        OutputFolder = output,
        OmopFolder = omop,
        Writer = MedsDatasetWriterSettings.Default with { Clock = new FixedClock(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero)) },
    }).Run(inputs);

    [ExternalDataFact]
    public void Run_SyntheaBundles_ValidMedsWithOneSubjectPerBundle()
    {
        using var temp = new TempDirectory();
        var summary = Ingest(temp.Path, ExternalData.Path("fhir", "synthea-r4-bundles"));

        AssertValid(temp.Path);
        Assert.Equal(12, summary.Files);
        Assert.Equal(12, summary.Subjects);
        Assert.Equal(12, summary.EventsByCodeFamily["MEDS_BIRTH"]);
        Assert.Equal(12, summary.ResourcesByType["Patient"].Parsed);
        Assert.True(summary.EventsByCodeFamily["LOINC"] > 1_000, $"LOINC events: {summary.EventsByCodeFamily["LOINC"]}");
        Assert.Equal(0, summary.Quarantined);
        Assert.Equal(12, SubjectMapRows(temp.Path).Count);
    }

    [ExternalDataFact]
    public void Run_BulkNdjsonFolder_ValidMedsWithOneSubjectPerPatient()
    {
        using var temp = new TempDirectory();
        var summary = Ingest(temp.Path, ExternalData.Path("fhir", "bulk-ndjson-10-patients"));

        // The "10 patients" export holds 13 Patient lines (the group's 10 plus relatives Synthea generated).
        AssertValid(temp.Path);
        Assert.Equal(13, CountLines(ExternalData.Path("fhir", "bulk-ndjson-10-patients", "Patient.000.ndjson")));
        Assert.Equal(13, summary.Subjects);
        Assert.Equal(13, summary.EventsByCodeFamily["MEDS_BIRTH"]);
        Assert.Equal(CountLines(ExternalData.Path("fhir", "bulk-ndjson-10-patients", "Encounter.000.ndjson")), summary.ResourcesByType["Encounter"].Parsed);
        // log.ndjson is the exporter's own log, not FHIR: each line lacks resourceType and is kept in quarantine.
        Assert.Equal(CountLines(ExternalData.Path("fhir", "bulk-ndjson-10-patients", "log.ndjson")), summary.Quarantined);
        Assert.Equal(["log.ndjson.ndjson"], Directory.GetFiles(Path.Combine(temp.Path, "quarantine")).Select(Path.GetFileName));
        var map = SubjectMapRows(temp.Path);
        Assert.Equal(13, map.Count);
        Assert.All(map, row => Assert.Equal(StableHash.Of63("fhir|Patient/" + row.PatientId), row.SubjectId));
    }

    [ExternalDataFact]
    public void Run_MimicFhirFolder_ValidMedsAndEveryIcuStayHasAdmissionAndDischarge()
    {
        using var temp = new TempDirectory();
        var folder = ExternalData.Path("mimic-iv-demo", "mimic-iv-fhir-demo-2.1.0", "fhir");
        var summary = Ingest(temp.Path, folder);

        AssertValid(temp.Path);
        Assert.Equal(28, summary.Files);
        Assert.Equal(100, summary.Subjects);
        var icuStays = CountLines(Path.Combine(folder, "MimicEncounterICU.ndjson.gz"));
        Assert.Equal(icuStays, summary.EventsByCodeFamily["ICU_ADMISSION"]);
        Assert.Equal(icuStays, summary.EventsByCodeFamily["ICU_DISCHARGE"]);
        Assert.Equal(CountLines(Path.Combine(folder, "MimicPatient.ndjson.gz")), summary.ResourcesByType["Patient"].Parsed);
        Assert.Equal(0, summary.Quarantined);
    }

    private static void AssertValid(string root)
    {
        var issues = MedsValidator.Validate(root);
        Assert.True(MedsValidator.IsValid(issues), string.Join(Environment.NewLine, issues.Take(10)));
    }

    internal static List<(long SubjectId, string PatientId, string Source)> SubjectMapRows(string root)
    {
        using var reader = ParquetFileReader.Open(Path.Combine(root, "metadata", "subject_map.parquet"));
        var rows = new List<(long, string, string)>();
        foreach (var group in reader.ReadRowGroups())
        {
            var ids = group["subject_id"].As<long>();
            var patients = group["patient_id"].As<string?>();
            var sources = group["source"].As<string?>();
            for (var i = 0; i < group.RowCount; i++)
                rows.Add((ids[i], patients[i]!, sources[i]!));
        }
        return rows;
    }

    private static long CountLines(string path)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream);
        long lines = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
                lines++;
        }
        return lines;
    }
}
