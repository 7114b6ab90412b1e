using System.IO.Compression;
using System.Text;
using FhirRisk.Testing;

namespace FhirRisk.Fhir.Tests;

public sealed class FhirResourceReaderTests
{
    private const string PatientLine = """{"id":"p1","gender":"female","resourceType":"Patient"}""";

    [Fact]
    public void Read_MalformedNdjsonLine_QuarantinesItAndContinues()
    {
        using var dir = new TempDirectory();
        var path = dir.File("Patient.ndjson");
        File.WriteAllText(path, PatientLine + "\n{\"resourceType\":\"Patient\",\n\r\n   \n[1,2]\n{\"id\":\"x\"}\n" + PatientLine);

        var run = ReadRun.OfPaths(path);

        Assert.Equal(["line 1", "line 7"], run.Envelopes.Select(e => e.Location));
        Assert.All(run.Envelopes, e => Assert.Equal("Patient", e.ResourceType));
        Assert.Equal(PatientLine, Encoding.UTF8.GetString(run.Envelopes[0].Json.Span));
        Assert.Equal(dir.Path, run.Envelopes[0].Scope);
        Assert.Equal([FhirIssueCodes.InvalidJson, FhirIssueCodes.ResourceNotObject, FhirIssueCodes.MissingResourceType],
            run.Issues.Select(i => i.Code));
        Assert.Equal($"{path}:line 2", run.Issues[0].Path);
        Assert.Equal(["line 2", "line 5", "line 6"], run.Quarantine.Entries.Select(e => e.Location));
        Assert.Equal("{\"resourceType\":\"Patient\",", Encoding.UTF8.GetString(run.Quarantine.Entries[0].Raw));
    }

    [Fact]
    public void Read_TruncatedGzip_ReportsIssueAndKeepsCompleteLines()
    {
        using var dir = new TempDirectory();
        var path = dir.File("Patient.ndjson.gz");
        var text = string.Join('\n', Enumerable.Range(0, 2000).Select(i => PatientLine.Replace("p1", $"p{i}", StringComparison.Ordinal)));
        var compressed = Gzip(Encoding.UTF8.GetBytes(text));
        File.WriteAllBytes(path, compressed[..(compressed.Length / 2)]);

        var run = ReadRun.OfPaths(path);

        Assert.InRange(run.Envelopes.Count, 1, 1999);
        Assert.All(run.Results, r => Assert.Equal(FhirParseOutcome.Parsed, r.Outcome));
        Assert.Contains(run.Issues, i => i.Code == FhirIssueCodes.TruncatedGzip);
        Assert.DoesNotContain(run.Issues, i => i.Code == FhirIssueCodes.InvalidJson);
    }

    [Fact]
    public void Read_NdjsonLineHoldingABundle_IsQuarantinedWithAnIssueNotSkippedSilently()
    {
        // Review s21-fhir L6: a Bundle per line was skipped as a type not parsed, and its resources lost without a word.
        using var dir = new TempDirectory();
        var path = dir.File("bundles.ndjson");
        File.WriteAllLines(path, [
            """{"resourceType":"Bundle","type":"collection","entry":[{"resource":""" + PatientLine + "}]}",
            PatientLine,
        ]);

        var run = ReadRun.Of([new FhirInputFile(path, FhirInputKind.Ndjson, new FileInfo(path).Length)]);

        Assert.Equal("line 2", Assert.Single(run.Envelopes).Location);
        var issue = Assert.Single(run.Issues);
        Assert.Equal((FhirIssueCodes.BundleInNdjson, FhirRisk.Core.IssueSeverity.Warning, path + ":line 1"), (issue.Code, issue.Severity, issue.Path));
        Assert.Equal("not-supported", FhirIssueCodes.IssueType(issue.Code));
        Assert.Equal("line 1", Assert.Single(run.Quarantine.Entries).Location);
    }

    [Fact]
    public void Read_HundredMegabyteLine_IsStreamedToQuarantineWithBoundedMemory()
    {
        using var dir = new TempDirectory();
        var path = dir.File("Observation.ndjson");
        const int stringBytes = 100 << 20;
        using (var file = File.Create(path))
        {
            file.Write("{\"resourceType\":\"Observation\",\"valueString\":\""u8);
            var chunk = new byte[1 << 20];
            Array.Fill(chunk, (byte)'a');
            for (var i = 0; i < stringBytes / chunk.Length; i++)
                file.Write(chunk);
            file.Write("\"}\n"u8);
            file.Write(Encoding.UTF8.GetBytes(PatientLine + "\n"));
        }
        var run = new ReadRun();
        var reader = new FhirResourceReader(new FhirReaderSettings { MaxResourceBytes = 16 << 20 }, run.Quarantine, run.Issues);
        long progress = 0;

        var before = GC.GetAllocatedBytesForCurrentThread();
        var envelopes = reader.Read(new FhirInputFile(path, FhirInputKind.Ndjson, new FileInfo(path).Length), n => progress += n).ToList();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("line 2", Assert.Single(envelopes).Location);
        var streamed = Assert.Single(run.Quarantine.Streamed);
        Assert.Equal("line 1", streamed.Location);
        Assert.Equal(stringBytes + 47L, streamed.Bytes);
        Assert.Equal(FhirIssueCodes.ResourceTooLarge, Assert.Single(run.Issues).Code);
        Assert.Equal(new FileInfo(path).Length, progress);
        Assert.True(allocated < 100L << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Read_BundleWithResourceTypeLast_YieldsEntryResourcesAsExactSlices()
    {
        using var dir = new TempDirectory();
        var path = dir.File("bundle.json");
        const string patient = """{ "id": "a", "resourceType": "Patient" }""";
        File.WriteAllText(path, $$$"""
            {"type":"transaction","entry":[
              {"fullUrl":"urn:uuid:a","resource":{{{patient}}},"request":{"method":"POST","url":"Patient"}},
              {"request":{"method":"DELETE","url":"Patient/9"}},
              {"fullUrl":"urn:uuid:b","resource":{"status":"final","resourceType":"Observation"}}
            ],"resourceType":"Bundle"}
            """);

        var run = ReadRun.OfPaths(path);

        Assert.Equal(["Patient", "Observation"], run.Envelopes.Select(e => e.ResourceType));
        Assert.Equal(patient, Encoding.UTF8.GetString(run.Envelopes[0].Json.Span));
        Assert.Equal("Bundle.entry[2].resource", run.Envelopes[1].Location);
        Assert.Equal("urn:uuid:b", run.Envelopes[1].FullUrl);
        Assert.Equal(path + "#0", run.Envelopes[1].Scope);
        Assert.Equal(FhirIssueCodes.EntryWithoutResource, Assert.Single(run.Issues).Code);
    }

    [Fact]
    public void Read_BatchResponseOfSearchsets_YieldsTheirResources_OneLevelDeep()
    {
        // How a client fetches a patient in one request: a batch of GETs, answered by a batch-response whose entries
        // are searchset Bundles. Their resources were skipped as one "Bundle", with no issue.
        using var dir = new TempDirectory();
        var path = dir.File("batch.json");
        File.WriteAllText(path, """
            {"resourceType":"Bundle","type":"batch-response","entry":[
              {"response":{"status":"200 OK"},"resource":{"resourceType":"Bundle","type":"searchset","entry":[
                {"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient","id":"p13"}},
                {"resource":{"resourceType":"Observation","id":"o13","subject":{"reference":"urn:uuid:p"}}}]}},
              {"response":{"status":"200 OK"},"resource":{"resourceType":"Bundle","type":"searchset","entry":[
                {"resource":{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"deep"}}]}}]}}
            ]}
            """);

        var run = ReadRun.OfPaths(path);

        Assert.Equal(["Patient", "Observation"], run.Envelopes.Select(e => e.ResourceType));
        Assert.Equal("Bundle.entry[0].resource.entry[1].resource", run.Envelopes[1].Location);
        Assert.Equal("urn:uuid:p", run.Envelopes[0].FullUrl);
        Assert.Equal(run.Envelopes[0].Scope, run.Envelopes[1].Scope);
        Assert.NotEqual(path + "#0", run.Envelopes[0].Scope);
        var deep = Assert.Single(run.Issues);
        Assert.Equal((FhirIssueCodes.NestedBundleNotRead, path + ":Bundle.entry[1].resource.entry[0].resource"), (deep.Code, deep.Path));
    }

    [Fact]
    public void Read_SingleResourceGzip_YieldsOneEnvelope()
    {
        using var dir = new TempDirectory();
        var path = dir.File("patient.json.gz");
        File.WriteAllBytes(path, Gzip(Encoding.UTF8.GetBytes(PatientLine)));

        var run = ReadRun.OfPaths(path);

        var envelope = Assert.Single(run.Envelopes);
        Assert.Equal("Patient", envelope.Location);
        Assert.Equal("p1", Assert.Single(run.Results).Resource!.Id);
    }

    [Fact]
    public void Read_InvalidJsonFile_QuarantinesWholeFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("broken.json");
        File.WriteAllText(path, """{"resourceType":"Bundle","entry":[{"resource":""");

        var run = ReadRun.OfPaths(path);

        Assert.Empty(run.Envelopes);
        Assert.Equal(FhirIssueCodes.InvalidJson, Assert.Single(run.Issues).Code);
        Assert.Single(run.Quarantine.Entries);
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
            gzip.Write(data);
        return output.ToArray();
    }
}
