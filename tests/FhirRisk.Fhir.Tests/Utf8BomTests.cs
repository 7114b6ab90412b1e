using System.IO.Compression;
using System.Text;
using FhirRisk.Fhir.Push;
using FhirRisk.Testing;

namespace FhirRisk.Fhir.Tests;

/// <summary>A UTF-8 byte order mark is skipped (RFC 8259 §8.1), not "invalid JSON at byte 1": at the start of a pushed
/// Bundle or NDJSON body, at the start of an NDJSON line (files concatenated), and in the files the offline ingestion
/// reads (ops review s11 #12).</summary>
public sealed class Utf8BomTests
{
    private const string Patient = """{"resourceType":"Patient","id":"p1"}""";
    private const string Observation = """{"resourceType":"Observation","id":"o1","status":"final"}""";
    private static readonly string Bundle = $$"""{"resourceType":"Bundle","type":"collection","entry":[{"resource":{{Patient}}}]}""";

    [Fact]
    public void A_pushed_Bundle_or_NDJSON_body_may_start_with_a_byte_order_mark_and_so_may_each_line()
    {
        var bundle = FhirPushReader.ReadJson(WithBom(Bundle));
        var ndjson = FhirPushReader.ReadNdjson(WithBom($"{Patient}\r\n\uFEFF{Observation}\n"));

        Assert.True(bundle.IsUsable);
        Assert.Equal(Patient, Encoding.UTF8.GetString(Assert.Single(bundle.Entries).Json.Span));
        Assert.All(ndjson.Entries, e => Assert.Null(e.Problem));
        Assert.Equal([Patient, Observation], ndjson.Entries.Select(e => Encoding.UTF8.GetString(e.Json.Span)));
    }

    [Fact]
    public void Ingested_JSON_NDJSON_and_gzip_files_may_start_with_a_byte_order_mark()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("bundle.json"), WithBom(Bundle));
        File.WriteAllBytes(dir.File("Observation.ndjson"), WithBom($"{Observation}\n\uFEFF{Observation.Replace("o1", "o2", StringComparison.Ordinal)}\n"));
        using (var gzip = new GZipStream(File.Create(dir.File("Patient.ndjson.gz")), CompressionLevel.Fastest))
            gzip.Write(WithBom(Patient.Replace("p1", "p2", StringComparison.Ordinal)));

        var run = ReadRun.OfPaths(dir.Path);

        Assert.Empty(run.Issues);
        Assert.Equal(["Observation/o1", "Observation/o2", "Patient/p1", "Patient/p2"],
            run.Results.Select(r => $"{r.Resource!.ResourceType}/{r.Resource.Id}").Order(StringComparer.Ordinal));
        Assert.All(run.Results, r => Assert.Equal(FhirParseOutcome.Parsed, r.Outcome));
    }

    private static byte[] WithBom(string text) => [.. Utf8Bom.Bytes, .. Encoding.UTF8.GetBytes(text)];
}
