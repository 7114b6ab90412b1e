using System.IO.Compression;
using System.Text;
using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Meds.FhirMapping;
using FhirRisk.Meds.Ingestion;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Ingestion;

/// <summary>Bad inputs become issues and quarantine lines; the good resources beside them are still ingested.</summary>
public sealed class FhirIngestionBadInputTests
{
    private const string GoodPatient = """{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1980-02-03"}""";

    [Fact]
    public void Run_MalformedAndUntypedLines_QuarantinedWithCodesAndGoodLinesKept()
    {
        using var temp = new TempDirectory();
        var input = temp.File("in", "Patient.ndjson");
        Directory.CreateDirectory(temp.File("in"));
        File.WriteAllText(input, string.Join('\n',
            GoodPatient,
            """{"resourceType":"Patient","id":"p2", """,
            """{"id":"no-type"}""",
            new string('[', 10_000) + new string(']', 10_000),
            """{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2160-0"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2023-02","valueQuantity":{"value":1.2,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}}""") + "\n");

        var summary = FhirIngestionRealDataTests.Ingest(temp.File("out"), input);

        Assert.Equal(1, summary.Subjects);
        Assert.Equal(1, summary.EventsByCodeFamily["MEDS_BIRTH"]);
        Assert.Equal(1, summary.EventsByCodeFamily["LOINC"]);
        Assert.Equal(3, summary.Quarantined);
        Assert.True(MedsValidator.IsValid(MedsValidator.Validate(temp.File("out"))));

        var lines = QuarantineLines(temp.File("out"), "Patient.ndjson.ndjson");
        Assert.Equal(3, lines.Count);
        Assert.All(lines, line => Assert.Equal(input, line.GetProperty("source").GetString()));
        Assert.Contains(FhirIssueCodes.InvalidJson, Codes(lines[0]));
        Assert.Equal("""{"resourceType":"Patient","id":"p2", """, lines[0].GetProperty("resource").GetString());
        Assert.Contains(FhirIssueCodes.MissingResourceType, Codes(lines[1]));
        Assert.Equal("no-type", lines[1].GetProperty("resource").GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.String, lines[2].GetProperty("resource").ValueKind);
    }

    [UnixFact]
    public void Run_OutputsHoldingPatientData_CreatedOwnerOnly()
    {
        // Review phi.md #6: the quarantine (raw lines), the shards and metadata/subject_map.parquet were 0644 in 0755
        // folders; so was the spool of every patient's events in the shared temp folder.
        using var temp = new TempDirectory();
        var input = temp.File("Patient.ndjson");
        File.WriteAllText(input, GoodPatient + "\n" + """{"resourceType":"Patient","id":"p2", """ + "\n");
        var spool = temp.File("spool");
        var settings = new FhirIngestionSettings { OutputFolder = temp.File("out"), TempFolder = spool, OmopFolder = temp.File("omop") };

        var summary = new FhirIngestion(settings).Run([input]);

        Assert.Equal(1, summary.Quarantined);
        UnixFileModes.AssertOwnerOnlyFolder(temp.File("out"));
        UnixFileModes.AssertOwnerOnlyFolder(temp.File("out", "metadata"));
        UnixFileModes.AssertOwnerOnlyFolder(temp.File("out", "quarantine"));
        UnixFileModes.AssertOwnerOnlyFile(temp.File("out", "quarantine", "Patient.ndjson.ndjson"));
        UnixFileModes.AssertOwnerOnlyFolder(temp.File("omop"));
        UnixFileModes.AssertOwnerOnlyFolder(spool); // a given TempFolder is kept after the run
        // The data shards, the re-identification key (subject_map) and the OMOP tables themselves, not only their folders.
        UnixFileModes.AssertOwnerOnlyFile(temp.File("out", "metadata", "subject_map.parquet"));
        UnixFileModes.AssertOwnerOnlyFile(temp.File("out", "metadata", "subject_splits.parquet"));
        UnixFileModes.AssertOwnerOnlyFile(temp.File("out", "metadata", "codes.parquet")); // codes carry record text
        UnixFileModes.AssertOwnerOnlyFile(temp.File("out", "metadata", "dataset.json"));
        var shards = Directory.GetFiles(temp.File("out", "data"), "*.parquet", SearchOption.AllDirectories);
        Assert.NotEmpty(shards);
        Assert.All(shards, UnixFileModes.AssertOwnerOnlyFile);
        var omop = Directory.GetFiles(temp.File("omop"), "*.*", SearchOption.AllDirectories);
        Assert.Contains(omop, f => f.EndsWith(".csv", StringComparison.Ordinal));
        Assert.All(omop, UnixFileModes.AssertOwnerOnlyFile);
    }

    [Fact]
    public void Run_WithASubjectKey_SubjectIdsAreTheKeyedHashAndOnlyTheKeyReproducesThem()
    {
        // Review phi.md #6: unkeyed ids are SHA-256 of "fhir|Patient/<id>", so a list of MRNs finds their subjects.
        using var temp = new TempDirectory();
        var input = temp.File("Patient.ndjson");
        File.WriteAllText(input, GoodPatient + "\n");
        var key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        FhirIngestionSettings Settings(string output, byte[]? subjectKey) =>
            new() { OutputFolder = temp.File(output), Mapping = new FhirMappingSettings { SubjectKey = subjectKey } };

        new FhirIngestion(Settings("unkeyed", null)).Run([input]);
        new FhirIngestion(Settings("keyed", key)).Run([input]);
        new FhirIngestion(Settings("keyed-again", key)).Run([input]);

        // Expected values from Python's hashlib/hmac: the first 8 bytes of the digest, little-endian, top bit cleared.
        Assert.Equal([544130906110147823L], SubjectIds(temp.File("unkeyed")));
        Assert.Equal([8496089997939303679L], SubjectIds(temp.File("keyed")));
        Assert.Equal(SubjectIds(temp.File("keyed")), SubjectIds(temp.File("keyed-again")));
        Assert.Equal(8496089997939303679L, FhirResourceLinks.SubjectIdOf("p1", new FhirMappingSettings { SubjectKey = key }));
        Assert.Throws<ArgumentException>(() => new FhirIngestion(Settings("short", new byte[31])).Run([input]));
    }

    private static long[] SubjectIds(string dataset) =>
        [.. MedsDatasetReader.Open(dataset).ReadSubjects().Select(s => s.SubjectId).Distinct()];

    [Fact]
    public void Run_UnresolvableSubjectAndWrongTypes_IssuesCountedResourceKept()
    {
        using var temp = new TempDirectory();
        var input = temp.File("bundle.json");
        File.WriteAllText(input, $$$"""
            {"resourceType":"Bundle","type":"collection","entry":[
              {"fullUrl":"urn:uuid:1","resource":{{{GoodPatient}}}},
              {"resource":{"resourceType":"Condition","id":"c1","clinicalStatus":5,"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},
                "subject":{"reference":"Patient/absent"},"recordedDate":"2023-02-01T10:00:00+02:00"}},
              {"resource":{"resourceType":"Condition","id":"c2","code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003"}]},
                "subject":{"reference":"urn:uuid:1"},"recordedDate":"2023"}}
            ]}
            """);

        var summary = FhirIngestionRealDataTests.Ingest(temp.File("out"), input);

        Assert.Equal(0, summary.Quarantined);
        Assert.Equal(2, summary.ResourcesByType["Condition"].Parsed);
        Assert.Equal(1, summary.IssuesByCode[FhirIssueCodes.WrongElementType]);
        Assert.Equal(1, summary.IssuesByCode[FhirMappingIssueCodes.UnresolvedSubject]);
        Assert.Equal(2, summary.EventsByCodeFamily["SNOMED"]);
        Assert.Contains(summary.Issues, i => i.Code == FhirIssueCodes.WrongElementType && i.Path.EndsWith("Bundle.entry[1].resource.clinicalStatus", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_SamePatientInTwoFiles_StaticRowsBirthAndDeathOnce()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.File("in"));
        const string Patient = """{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1980-02-03","deceasedDateTime":"2023-04-05T06:07:08Z","extension":[{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race","extension":[{"url":"ombCategory","valueCoding":{"system":"urn:oid:2.16.840.1.113883.6.238","code":"2106-3"}}]}]}""";
        File.WriteAllText(temp.File("in", "Patient.000.ndjson"), Patient + "\n");
        File.WriteAllText(temp.File("in", "Patient.001.ndjson"), Patient + "\n");

        var summary = FhirIngestionRealDataTests.Ingest(temp.File("out"), temp.File("in"));

        var events = MedsDatasetReader.Open(temp.File("out")).ReadEvents().ToList();
        Assert.Equal(["GENDER//F", "RACE//2106-3", "MEDS_BIRTH", MedsSchema.DeathCode], events.Select(e => e.Code));
        // One copy of a Patient is read (ResourceCopiesTests): without meta, the later in input order.
        Assert.Equal(1, summary.ResourcesByType["Patient"].Parsed);
        var issue = Assert.Single(summary.Issues, i => i.Code == FhirMappingIssueCodes.SupersededCopy);
        Assert.Equal(IssueSeverity.Information, issue.Severity);
        Assert.EndsWith("Patient.000.ndjson:line 1", issue.Path, StringComparison.Ordinal);
        Assert.Contains("Patient.001.ndjson:line 1", issue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_TruncatedGzip_IssueAndResourcesBeforeTheCutKept()
    {
        using var temp = new TempDirectory();
        var text = new StringBuilder();
        for (var i = 0; i < 2_000; i++)
            text.Append(GoodPatient.Replace("\"p1\"", $"\"p{i}\"", StringComparison.Ordinal)).Append('\n');
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(Encoding.UTF8.GetBytes(text.ToString()));
        var input = temp.File("Patient.ndjson.gz");
        File.WriteAllBytes(input, compressed.ToArray().AsSpan(0, (int)compressed.Length / 2).ToArray());

        var summary = FhirIngestionRealDataTests.Ingest(temp.File("out"), input);

        // The file and, when the cut falls inside a line, that partial line each carry the code.
        Assert.InRange(summary.IssuesByCode[FhirIssueCodes.TruncatedGzip], 1, 2);
        Assert.InRange(summary.Subjects, 1, 1_999);
        Assert.True(MedsValidator.IsValid(MedsValidator.Validate(temp.File("out"))));
    }

    [Fact]
    public void Run_HundredMegabyteStringLine_QuarantinedWholeWithBoundedMemory()
    {
        using var temp = new TempDirectory();
        var input = temp.File("Observation.ndjson");
        const int StringBytes = 100 << 20;
        using (var file = new StreamWriter(input, append: false, new UTF8Encoding(false)))
        {
            file.Write(GoodPatient.Replace("Patient", "Observation", StringComparison.Ordinal)[..^1] + ",\"note\":[{\"text\":\"");
            var block = new string('x', 1 << 20);
            for (var i = 0; i < StringBytes >> 20; i++)
                file.Write(block);
            file.Write("\"}]}\n" + GoodPatient + "\n");
        }
        var lineLength = new FileInfo(input).Length - GoodPatient.Length - 2;

        var before = GC.GetAllocatedBytesForCurrentThread();
        var summary = FhirIngestionRealDataTests.Ingest(temp.File("out"), input);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(1, summary.Quarantined);
        Assert.Equal(1, summary.IssuesByCode[FhirIssueCodes.ResourceTooLarge]);
        Assert.Equal(1, summary.Subjects);
        Assert.True(allocated < 300L << 20, $"allocated {allocated >> 20} MB");
        using var quarantined = File.OpenRead(Path.Combine(temp.File("out"), "quarantine", "Observation.ndjson.ndjson"));
        using var document = JsonDocument.Parse(quarantined);
        Assert.Equal(lineLength, document.RootElement.GetProperty("resource").GetString()!.Length);
    }

    [Fact]
    public void Run_OutputAlreadyHoldsDataset_IOException()
    {
        using var temp = new TempDirectory();
        var input = temp.File("Patient.ndjson");
        File.WriteAllText(input, GoodPatient + "\n");
        FhirIngestionRealDataTests.Ingest(temp.File("out"), input);

        var error = Assert.Throws<IOException>(() => FhirIngestionRealDataTests.Ingest(temp.File("out"), input));

        Assert.Contains("is not empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_CancelledWhileWriting_LeavesNoPartOfTheDatasetOrQuarantine()
    {
        // CLI review s10: a failed ingest left metadata/ (and quarantine/) behind, so the rerun into the same folder was refused.
        using var temp = new TempDirectory();
        var input = temp.File("Patient.ndjson");
        File.WriteAllText(input, GoodPatient + "\n" + """{"resourceType":"Patient","id":"p2", """ + "\n");
        using var cancel = new CancellationTokenSource();
        var writing = new SynchronousProgress(p =>
        {
            if (p.Phase == "write")
                cancel.Cancel();
        });
        var settings = new FhirIngestionSettings { OutputFolder = temp.File("out") };

        Assert.ThrowsAny<OperationCanceledException>(() => new FhirIngestion(settings).Run([input], writing, cancel.Token));

        Assert.False(Directory.Exists(temp.File("out")), "the run's data/, metadata/ and quarantine/ are removed, and the folder it created");
        Assert.Equal(1, FhirIngestionRealDataTests.Ingest(temp.File("out"), input).Subjects);
    }

    private sealed class SynchronousProgress(Action<FhirIngestionProgress> report) : IProgress<FhirIngestionProgress>
    {
        public void Report(FhirIngestionProgress value) => report(value);
    }

    [Fact]
    public void Run_OnlySkippedTypes_NothingIngestedButValidEmptyLayout()
    {
        using var temp = new TempDirectory();
        var input = temp.File("Organization.ndjson");
        File.WriteAllText(input, """{"resourceType":"Organization","id":"o1"}""" + "\n");

        var summary = FhirIngestionRealDataTests.Ingest(temp.File("out"), input);

        Assert.True(summary.NothingIngested);
        Assert.Equal(new FhirRisk.Meds.Ingestion.FhirResourceCounts(1, 0, 1, 0), summary.ResourcesByType["Organization"]);
    }

    [Fact]
    public void Run_OversizedLineAmongBatches_QuarantineAndIssuesKeepInputOrder()
    {
        using var temp = new TempDirectory();
        var input = temp.File("Patient.ndjson");
        // Enough good lines before and after the bad ones that several batches are in flight when the oversized line
        // is met: what was read before it must still reach the quarantine and the issue list before it.
        var padding = new string('n', 2_000); // 3,000 lines of ~2 KB: about three 1 MiB batches
        var good = Enumerable.Range(0, 3_000)
            .Select(i => GoodPatient.Replace("\"p1\"", $"\"p{i}\",\"name\":[{{\"text\":\"{padding}\"}}]", StringComparison.Ordinal))
            .ToList();
        var oversized = GoodPatient[..^1] + ",\"note\":\"" + new string('x', 8_000) + "\"}";
        File.WriteAllLines(input, [.. good[..1_500], "{\"id\":\"first\"}", .. good[1_500..2_000], oversized, "{\"id\":\"last\"}", .. good[2_000..]]);

        var summary = new FhirIngestion(new FhirIngestionSettings
        {
            OutputFolder = temp.File("out"),
            Reader = new FhirReaderSettings { MaxResourceBytes = 4_096 },
        }).Run([input]);

        Assert.Equal(3_000, summary.Subjects);
        Assert.Equal(3, summary.Quarantined);
        var lines = QuarantineLines(temp.File("out"), "Patient.ndjson.ndjson");
        Assert.Equal(["line 1501", "line 2002", "line 2003"], lines.Select(l => l.GetProperty("location").GetString()));
        Assert.Equal([FhirIssueCodes.MissingResourceType, FhirIssueCodes.ResourceTooLarge, FhirIssueCodes.MissingResourceType],
            summary.Issues.Where(i => i.Severity == IssueSeverity.Error).Select(i => i.Code));
    }

    private static List<JsonElement> QuarantineLines(string output, string name) =>
        File.ReadAllLines(Path.Combine(output, "quarantine", name)).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();

    private static string?[] Codes(JsonElement line) => line.GetProperty("issues").EnumerateArray().Select(i => i.GetProperty("code").GetString()).ToArray();
}
