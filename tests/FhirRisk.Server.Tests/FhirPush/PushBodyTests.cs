using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using FhirRisk.Fhir;
using FhirRisk.Server.Tests.Infrastructure;

namespace FhirRisk.Server.Tests.FhirPush;

/// <summary>Common sender behaviours that were "invalid JSON" (ops review s11 #12): a UTF-8 byte order mark, and a body
/// sent with <c>Content-Encoding: gzip</c>.</summary>
public sealed class PushBodyTests : IAsyncLifetime
{
    private const long Limit = 64 << 10;
    private TestFhirRiskServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?> { ["FhirPush:MaxBodyBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await _server.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_Bundle_or_NDJSON_starting_with_a_byte_order_mark_is_stored_whole()
    {
        var bundle = TestBundles.Patient("bom-b").ToJsonString();
        var lines = TestBundles.Patient("bom-n", type: "collection")["entry"]!.AsArray().Select(e => e!["resource"]!.ToJsonString());

        using var json = await PostAsync("/fhir", [.. Utf8Bom.Bytes, .. Encoding.UTF8.GetBytes(bundle)], "application/fhir+json");
        using var ndjson = await PostAsync("/fhir/$import", [.. Utf8Bom.Bytes, .. Encoding.UTF8.GetBytes(string.Join("\r\n", lines))], "application/fhir+ndjson");

        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ndjson.StatusCode);
        Assert.Equal(9, (await _server.Store.ReadPatientAsync("bom-b")).Count);
        Assert.Equal(9, (await _server.Store.ReadPatientAsync("bom-n")).Count); // the first line, the Patient, included
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("x-gzip")]
    [InlineData("identity, gzip")]
    public async Task A_gzip_body_is_decoded(string coding)
    {
        var bundle = Encoding.UTF8.GetBytes(TestBundles.Patient("gz-" + coding.Length).ToJsonString());

        using var response = await PostAsync("/fhir", Gzip(bundle), "application/fhir+json", coding);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(9, (await _server.Store.ReadPatientAsync("gz-" + coding.Length)).Count);
    }

    [Fact]
    public async Task The_body_limit_applies_to_the_decoded_bytes_and_bad_or_unknown_codings_are_refused()
    {
        var bomb = Gzip(new byte[4 * Limit]); // a few kB that decode past the limit

        using var tooLarge = await PostAsync("/fhir", bomb, "application/fhir+json", "gzip");
        using var corrupt = await PostAsync("/fhir", Encoding.UTF8.GetBytes("{\"resourceType\":\"Bundle\"}"), "application/fhir+json", "gzip");
        using var brotli = await PostAsync("/fhir", [1, 2, 3], "application/fhir+json", "br");

        Assert.True(bomb.Length < Limit);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("PUSH008", await CodeAsync(tooLarge));
        Assert.Equal(HttpStatusCode.BadRequest, corrupt.StatusCode);
        Assert.Equal("PUSH015", await CodeAsync(corrupt));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, brotli.StatusCode);
        Assert.Equal("PUSH009", await CodeAsync(brotli));
        Assert.Equal("gzip", brotli.Headers.GetValues("Accept-Encoding").Single());
    }

    private async Task<HttpResponseMessage> PostAsync(string path, byte[] body, string mediaType, string? coding = null)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        foreach (var one in coding?.Split(", ") ?? [])
            content.Headers.ContentEncoding.Add(one);
        return await _server.Http.PostAsync(new Uri(path, UriKind.Relative), content);
    }

    private static async Task<string> CodeAsync(HttpResponseMessage response) =>
        PushAnswers.Codes(JsonNode.Parse(await response.Content.ReadAsStringAsync())!).Single();

    private static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal))
            gzip.Write(data);
        return buffer.ToArray();
    }
}
