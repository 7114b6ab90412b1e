using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FhirRisk.Server.CdsHooks;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>Requests the service cannot serve are answered with the right status and an OperationOutcome, never a bare
/// 500 or an empty body, and logged with counts that are true.</summary>
public sealed class CdsHooksErrorTests
{
    private const int Limit = 64 * 1024;

    private static readonly Dictionary<string, string?> SmallLimit = new() { ["CdsHooks:MaxBodyBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    [Theory]
    [InlineData("", false)]
    [InlineData("", true)]
    [InlineData("/feedback", false)]
    [InlineData("/feedback", true)]
    public async Task A_body_over_MaxBodyBytes_is_413_with_an_OperationOutcome(string endpoint, bool chunked)
    {
        await using var server = await TestCdsServer.StartAsync(SmallLimit);
        var padded = CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch)[..^1]
            + ",\"extension\":{\"com.example.pad\":\"" + new string('x', 3 * Limit) + "\"}}";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/cds-services/{CdsServiceCatalog.PatientRiskId}{endpoint}")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(padded))),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = chunked;
        using var response = await server.Client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using var outcome = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("OperationOutcome", outcome.RootElement.GetProperty("resourceType").GetString());
        Assert.Equal("too-long", outcome.RootElement.GetProperty("issue")[0].GetProperty("code").GetString());
        Assert.Contains("CdsHooks:MaxBodyBytes", outcome.RootElement.GetProperty("issue")[0].GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
        Assert.Empty(server.Risks.Requests);
        Assert.Empty(server.Logs.Errors);
    }

    [Theory]
    [InlineData("", "text/plain")]
    [InlineData("", "application/x-www-form-urlencoded")]
    [InlineData("", null)]
    [InlineData("/feedback", "text/plain")]
    public async Task A_body_not_declared_JSON_is_415_and_never_reaches_the_model(string endpoint, string? mediaType)
    {
        // Service review s10 #9: form and text bodies were answered with cards, and make the call a CORS simple request.
        await using var server = await TestCdsServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/cds-services/{CdsServiceCatalog.PatientRiskId}{endpoint}")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch))),
        };
        if (mediaType is not null)
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await server.Client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        using var outcome = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("Content-Type: application/json", outcome.RootElement.GetProperty("issue")[0].GetProperty("details").GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Empty(server.Risks.Requests);

        using var charset = await server.Client.PostAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            new StringContent(CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, charset.StatusCode); // application/json; charset=utf-8
    }

    [Fact]
    public async Task A_compressed_body_is_415_naming_the_encoding_not_invalid_json()
    {
        // Walkthrough review s21 L3: a gzip body was answered "not valid JSON".
        await using var server = await TestCdsServer.StartAsync();
        var json = Encoding.UTF8.GetBytes(CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch));
        using var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(json);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/cds-services/{CdsServiceCatalog.PatientRiskId}") { Content = new ByteArrayContent(buffer.ToArray()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Content.Headers.ContentEncoding.Add("gzip");

        using var response = await server.Client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        using var outcome = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("without Content-Encoding (got gzip)", outcome.RootElement.GetProperty("issue")[0].GetProperty("details").GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Empty(server.Risks.Requests);
    }

    [Fact]
    public async Task A_wrong_hook_is_logged_on_one_line_escaped_and_capped()
    {
        // Review phi.md #8: the hook was logged verbatim, so a newline in it forged a log line.
        await using var server = await TestCdsServer.StartAsync();
        var hook = "ZQXHOOK\\nFORGED 2026-01-01 fail: admin logged in\\u2028" + new string('y', 5000);

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}", CdsRequests.Hook(hook));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var logged = Assert.Single(server.Logs.Entries, e => e.EventId == 202).Message;
        Assert.Contains("ZQXHOOK\\u000aFORGED", logged, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', logged);
        Assert.DoesNotContain('\u2028', logged);
        Assert.InRange(logged.Length, 1, 400);
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("DELETE", "")]
    [InlineData("GET", "/feedback")]
    public async Task Another_method_than_POST_is_405_with_Allow_and_an_OperationOutcome(string method, string endpoint)
    {
        await using var server = await TestCdsServer.StartAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/cds-services/{CdsServiceCatalog.PatientRiskId}{endpoint}");

        using var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(["POST"], response.Content.Headers.Allow);
        using var outcome = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("OperationOutcome", outcome.RootElement.GetProperty("resourceType").GetString());
        Assert.Equal("not-supported", outcome.RootElement.GetProperty("issue")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_body_under_MaxBodyBytes_is_served()
    {
        await using var server = await TestCdsServer.StartAsync(SmallLimit);
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}", CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_412_logs_and_answers_how_many_keys_failed_and_which()
    {
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?> { ["CdsHooks:Fhir:MaxRetries"] = "0" });
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", patientId: "unknown", fhirServer: FakeFhirServer.DownUrl()));
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        var logged = Assert.Single(server.Logs.Entries, e => e.EventId == 201);
        Assert.Contains("(11 prefetch keys missing)", logged.Message, StringComparison.Ordinal);
        using var outcome = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var diagnostics = outcome.RootElement.GetProperty("issue")[0].GetProperty("diagnostics").GetString()!;
        // In words, not the enum's names (service review s11 #1).
        Assert.Contains("encounters (FHIR server unreachable)", diagnostics, StringComparison.Ordinal);
        Assert.DoesNotContain("(Unreachable)", diagnostics, StringComparison.Ordinal);
        Assert.DoesNotContain("unknown", diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Feedback_that_fails_to_be_stored_is_500_with_an_OperationOutcome()
    {
        await using var server = await TestCdsServer.StartAsync(configure: s => s.AddSingleton<IFeedbackStore, FailingFeedbackStore>());
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}/feedback",
            """{"feedback":[{"card":"c","outcome":"accepted","outcomeTimestamp":"2026-01-02T03:04:05Z"}]}""");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        using var outcome = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("exception", outcome.RootElement.GetProperty("issue")[0].GetProperty("code").GetString());
        Assert.True(server.Logs.Has(206));
    }

    private sealed class FailingFeedbackStore : IFeedbackStore
    {
        public Task<int> AddAsync(IReadOnlyList<StoredFeedback> feedback, CancellationToken cancellationToken) =>
            throw new IOException("disk full");

        public IReadOnlyList<StoredFeedback> All() => [];
    }
}
