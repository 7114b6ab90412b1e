using System.Net;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Testing;

namespace FhirRisk.Server.Tests.CdsHooks;

public sealed class FeedbackTests
{
    private const string Overridden = """{"feedback":[{"card":"c-1","outcome":"overridden","overrideReason":{"reason":{"code":"r1","system":"https://example.org/reasons"},"userComment":"not relevant"},"outcomeTimestamp":"2026-01-02T03:04:05Z"}]}""";

    [Fact]
    public async Task Feedback_is_stored_once_even_when_sent_twice()
    {
        await using var server = await TestCdsServer.StartAsync();
        for (var i = 0; i < 2; i++)
        {
            using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}/feedback", Overridden);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var stored = Assert.Single(server.Feedback.All());
        Assert.Equal((CdsServiceCatalog.PatientRiskId, "c-1", "overridden", "r1", "not relevant"),
            (stored.ServiceId, stored.Card, stored.Outcome, stored.OverrideReasonCode, stored.UserComment));
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), stored.OutcomeTimestamp);
    }

    [Theory]
    [InlineData("""{"feedback":[]}""")]
    [InlineData("""{"feedback":[{"outcome":"accepted","outcomeTimestamp":"2026-01-02T03:04:05Z"}]}""")]
    [InlineData("""{"feedback":[{"card":"c","outcome":"ignored","outcomeTimestamp":"2026-01-02T03:04:05Z"}]}""")]
    [InlineData("""{"feedback":[{"card":"c","outcome":"accepted","outcomeTimestamp":"yesterday"}]}""")]
    [InlineData("[1,2]")]
    public async Task Invalid_feedback_is_400(string body)
    {
        await using var server = await TestCdsServer.StartAsync();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}/feedback", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(server.Feedback.All());
    }

    [Fact]
    public async Task The_jsonl_store_appends_and_reads_back_across_restarts()
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "feedback", "cds.jsonl");
        var item = FeedbackReader.Read("svc", System.Text.Json.JsonSerializer.Deserialize(Overridden, CdsHooksJsonContext.Default.CdsFeedbackRequest), DateTimeOffset.UnixEpoch);
        using (var store = new JsonlFeedbackStore(path))
            Assert.Equal(1, await store.AddAsync(item, CancellationToken.None));
        using (var reopened = new JsonlFeedbackStore(path))
        {
            Assert.Equal("c-1", Assert.Single(reopened.All()).Card);
            Assert.Equal(0, await reopened.AddAsync(item, CancellationToken.None)); // a repeat after restart is still a repeat
        }
        Assert.Single(File.ReadAllLines(path));
    }

    [Fact]
    public async Task The_server_uses_the_jsonl_store_when_a_path_is_configured()
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "cds-feedback.jsonl");
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?> { ["CdsHooks:FeedbackPath"] = path });
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.ReadmissionRiskId}/feedback", Overridden);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"card\":\"c-1\"", Assert.Single(File.ReadAllLines(path)), StringComparison.Ordinal);
    }
}
