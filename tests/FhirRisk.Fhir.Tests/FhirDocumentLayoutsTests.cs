using System.Text;
using FhirRisk.Core;
using FhirRisk.Testing;

namespace FhirRisk.Fhir.Tests;

public sealed class FhirDocumentLayoutsTests
{
    // The second fullUrl is escaped in the JSON: a recalled layout must read it back exactly as a scan does.
    private const string Bundle = """
        {"resourceType":"Bundle","type":"collection","entry":[
          {"fullUrl":"urn:uuid:11111111-1111-1111-1111-111111111111","resource":{"resourceType":"Patient","id":"p1"}},
          {"resource":{"id":"e1","resourceType":"Encounter"},"fullUrl":"urn:uuid:22222222\u002d2222-2222-2222-222222222222"},
          {"request":{"method":"DELETE","url":"Patient/p0"}},
          {"fullUrl":"urn:uuid:33333333-3333-3333-3333-333333333333","resource":{"resourceType":"Observation","id":"o1"}}
        ]}
        """;

    [Fact]
    public void Read_Twice_SecondReadUsesTheLayoutAndGivesTheSameEnvelopes()
    {
        using var dir = new TempDirectory();
        var file = Write(dir, "bundle.json", Bundle);
        var layouts = new FhirDocumentLayouts();

        var first = Read(file, layouts);
        Assert.Equal(1, layouts.Documents);
        Assert.Equal(4, layouts.Entries);
        var second = Read(file, layouts);

        Assert.Equal(0, layouts.Documents); // a layout serves one later read
        Assert.Equal(0, layouts.Entries);
        Assert.Equal(Describe(Read(file, layouts: null)), Describe(first));
        Assert.Equal(Describe(first), Describe(second));
        Assert.Equal("urn:uuid:22222222-2222-2222-2222-222222222222", second.Envelopes[1].FullUrl);
        Assert.Equal(["Patient", "Encounter", "Observation"], second.Envelopes.Select(e => e.ResourceType));
        Assert.Equal(first.Issues.Select(i => i.Code), second.Issues.Select(i => i.Code));
    }

    [Fact]
    public void Read_FileChangedBetweenReads_ScansAgain()
    {
        using var dir = new TempDirectory();
        var file = Write(dir, "bundle.json", Bundle);
        var layouts = new FhirDocumentLayouts();
        Read(file, layouts);

        var changed = Bundle.Replace("\"id\":\"p1\"", "\"id\":\"patient-number-one\"", StringComparison.Ordinal);
        File.WriteAllText(file.Path, changed);
        File.SetLastWriteTimeUtc(file.Path, File.GetLastWriteTimeUtc(file.Path).AddMinutes(1));
        var second = Read(file with { Length = new FileInfo(file.Path).Length }, layouts);

        Assert.Contains("patient-number-one", Encoding.UTF8.GetString(second.Envelopes[0].Json.Span), StringComparison.Ordinal);
        Assert.Equal(Describe(Read(file, layouts: null)), Describe(second));
    }

    [Fact]
    public void Remember_BeyondMaxEntries_KeepsNothingAndReadsStayCorrect()
    {
        using var dir = new TempDirectory();
        var file = Write(dir, "bundle.json", Bundle);
        var layouts = new FhirDocumentLayouts(maxEntries: 3);

        var first = Read(file, layouts);
        Assert.Equal(0, layouts.Documents);
        Assert.Equal(0, layouts.Entries);
        Assert.Equal(Describe(first), Describe(Read(file, layouts)));
    }

    [Fact]
    public void Remember_InvalidOrNonBundleDocument_IsNotKept()
    {
        using var dir = new TempDirectory();
        var layouts = new FhirDocumentLayouts();

        var broken = Read(Write(dir, "broken.json", Bundle[..^10]), layouts);
        Read(Write(dir, "patient.json", """{"resourceType":"Patient","id":"p9"}"""), layouts);

        Assert.Equal(0, layouts.Documents);
        Assert.Equal(FhirIssueCodes.InvalidJson, Assert.Single(broken.Issues).Code);
    }

    [Fact]
    public void Read_WithTypes_GivesOnlyThoseWithTheirFullUrls()
    {
        using var dir = new TempDirectory();
        var file = Write(dir, "bundle.json", Bundle);
        var reader = new FhirResourceReader(FhirReaderSettings.Default, new RecordingQuarantine(), new List<Issue>());

        var envelopes = reader.Read(file, types: new HashSet<string> { "Encounter" }).ToList();

        var encounter = Assert.Single(envelopes);
        Assert.Equal("Bundle.entry[1].resource", encounter.Location);
        Assert.Equal("urn:uuid:22222222-2222-2222-2222-222222222222", encounter.FullUrl);
    }

    [Fact]
    public void Read_FullUrlNotUtf8_DocumentIsInvalidJsonNotACrash()
    {
        using var dir = new TempDirectory();
        var path = dir.File("bundle.json");
        File.WriteAllBytes(path, [.. """{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:"""u8, 0xC3, 0x28,
            .. "\",\"resource\":{\"resourceType\":\"Patient\"}}]}"u8]);

        var read = Read(new FhirInputFile(path, FhirInputKind.Json, new FileInfo(path).Length), new FhirDocumentLayouts());

        Assert.Empty(read.Envelopes);
        Assert.Equal(FhirIssueCodes.InvalidJson, Assert.Single(read.Issues).Code);
    }

    private static FhirInputFile Write(TempDirectory dir, string name, string json)
    {
        var path = dir.File(name);
        File.WriteAllText(path, json);
        return new FhirInputFile(path, FhirInputKind.Json, new FileInfo(path).Length);
    }

    private static (List<FhirResourceEnvelope> Envelopes, List<Issue> Issues) Read(FhirInputFile file, FhirDocumentLayouts? layouts)
    {
        var issues = new List<Issue>();
        var reader = new FhirResourceReader(FhirReaderSettings.Default, new RecordingQuarantine(), issues, layouts);
        var envelopes = reader.Read(file).Select(e => e with { Json = e.Json.ToArray() }).ToList();
        return (envelopes, issues);
    }

    private static string[] Describe((List<FhirResourceEnvelope> Envelopes, List<Issue> Issues) read) =>
    [
        .. read.Envelopes.Select(e => $"{e.ResourceType}|{e.Location}|{e.FullUrl}|{e.Scope}|{Encoding.UTF8.GetString(e.Json.Span)}"),
        .. read.Issues.Select(i => $"{i.Code}|{i.Path}"),
    ];
}
