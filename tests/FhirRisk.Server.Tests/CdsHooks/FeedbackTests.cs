using System.Net;
using System.Text.Json;
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
    [InlineData("""{"feedback":[{"card":"c","outcome":"accepted","outcomeTimestamp":"12/01/2026"}]}""")] // not ISO 8601, and ambiguous
    [InlineData("[1,2]")]
    [InlineData("""{"feedback":[null]}""")]
    [InlineData("""{"feedback":[1]}""")]
    [InlineData("""{"feedback":["c-1"]}""")]
    [InlineData("""{"feedback":{"card":"c"}}""")]
    [InlineData("""{"feedback":[{"card":"c","outcome":"accepted","outcomeTimestamp":"2026-01-02T03:04:05Z"},null]}""")]
    [InlineData("""{"feedback":[{"card":"c","outcome":"accepted","outcomeTimestamp":"2026-01-02T03:04:05Z","acceptedSuggestions":"s1"}]}""")]
    public async Task Invalid_feedback_is_400_with_an_OperationOutcome(string body)
    {
        await using var server = await TestCdsServer.StartAsync();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}/feedback", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var outcome = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("OperationOutcome", outcome.RootElement.GetProperty("resourceType").GetString());
        Assert.Equal("invalid", outcome.RootElement.GetProperty("issue")[0].GetProperty("code").GetString());
        Assert.Empty(server.Feedback.All());
        Assert.Empty(server.Logs.Errors);
    }

    // Security review s12 #10: one post of large strings stayed in memory for good.
    [Theory]
    [InlineData("card", 300)]
    [InlineData("userComment", 9000)]
    [InlineData("display", 2000)]
    [InlineData("suggestion", 300)]
    public async Task A_member_over_its_length_limit_is_400_and_nothing_is_stored(string member, int length)
    {
        await using var server = await TestCdsServer.StartAsync();
        var text = new string('a', length);
        var (card, comment, display, suggestion) = (member == "card" ? text : "c", member == "userComment" ? text : "ok",
            member == "display" ? text : "d", member == "suggestion" ? text : "s1");
        var body = $$$"""{"feedback":[{"card":"{{{card}}}","outcome":"overridden","outcomeTimestamp":"2026-01-02T03:04:05Z","acceptedSuggestions":[{"id":"{{{suggestion}}}"}],"overrideReason":{"reason":{"code":"x","display":"{{{display}}}"},"userComment":"{{{comment}}}"}}]}""";

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}/feedback", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("longer than", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(server.Feedback.All());
    }

    [Fact]
    public async Task More_items_than_a_call_may_hold_are_400()
    {
        await using var server = await TestCdsServer.StartAsync();
        var items = string.Join(",", Enumerable.Range(0, 101).Select(i => $$"""{"card":"c{{i}}","outcome":"accepted","outcomeTimestamp":"2026-01-02T03:04:05Z"}"""));

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}/feedback", $$"""{"feedback":[{{items}}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(server.Feedback.All());
    }

    [Fact]
    public async Task The_memory_store_keeps_the_most_recent_items_and_every_key()
    {
        var store = new InMemoryFeedbackStore();
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        StoredFeedback Item(int i) => new("svc", $"c{i}", "accepted", [], null, null, null, null, at, at);

        Assert.Equal(InMemoryFeedbackStore.MaxKeptItems + 5,
            await store.AddAsync([.. Enumerable.Range(0, InMemoryFeedbackStore.MaxKeptItems + 5).Select(Item)], CancellationToken.None));

        Assert.Equal(InMemoryFeedbackStore.MaxKeptItems, store.All().Count);
        Assert.Equal("c5", store.All()[0].Card);
        Assert.Equal(0, await store.AddAsync([Item(0)], CancellationToken.None)); // an old repeat is still known
    }

    [Theory]
    [InlineData("2026-01-02T03:04:05Z", 0)]
    [InlineData("2026-01-02T04:04:05.123+01:00", 123)]
    [InlineData("2026-01-02T03:04:05", 0)] // no zone: UTC, as the spec says outcomeTimestamp is
    public async Task ISO_8601_timestamps_are_read_as_the_instant_they_name(string timestamp, int milliseconds)
    {
        await using var server = await TestCdsServer.StartAsync();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}/feedback",
            $$"""{"feedback":[{"card":"c","outcome":"accepted","outcomeTimestamp":"{{timestamp}}","acceptedSuggestions":[null,{"id":"s1"}]}]}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = Assert.Single(server.Feedback.All());
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, milliseconds, TimeSpan.Zero), stored.OutcomeTimestamp);
        Assert.Equal(["s1"], stored.AcceptedSuggestions);
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
    public async Task Each_client_s_feedback_is_its_own_and_recorded_with_its_issuer_and_tenant()
    {
        // Review s24-cds L5: the feedback file could not say which EHR or tenant overrode a card, and one client's
        // feedback on a card uuid was taken as a repeat of another's.
        var body = System.Text.Json.JsonSerializer.Deserialize(Overridden, CdsHooksJsonContext.Default.CdsFeedbackRequest);
        var store = new InMemoryFeedbackStore();

        Assert.Equal(1, await store.AddAsync(FeedbackReader.Read("svc", body, DateTimeOffset.UnixEpoch, new("https://ehr-a.example", "t1")), CancellationToken.None));
        Assert.Equal(1, await store.AddAsync(FeedbackReader.Read("svc", body, DateTimeOffset.UnixEpoch, new("https://ehr-b.example", null)), CancellationToken.None));
        Assert.Equal(0, await store.AddAsync(FeedbackReader.Read("svc", body, DateTimeOffset.UnixEpoch, new("https://ehr-a.example", "t1")), CancellationToken.None));

        Assert.Equal([("https://ehr-a.example", "t1"), ("https://ehr-b.example", null)], store.All().Select(f => (f.Issuer, f.Tenant)));
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "cds.jsonl");
        using (var file = new JsonlFeedbackStore(path))
            await file.AddAsync(store.All(), CancellationToken.None);
        Assert.Contains("\"Issuer\":\"https://ehr-a.example\"", File.ReadAllText(path), StringComparison.OrdinalIgnoreCase);
        // A line written before the client was recorded reads back without one.
        File.AppendAllText(path, File.ReadAllLines(path)[0].Replace(",\"issuer\":\"https://ehr-a.example\",\"tenant\":\"t1\"", "", StringComparison.OrdinalIgnoreCase) + "\n");
        using var reopened = new JsonlFeedbackStore(path);
        Assert.Equal(3, reopened.All().Count);
        Assert.Null(reopened.All()[2].Issuer);
    }

    [Fact]
    public async Task The_keys_kept_for_repeats_are_bounded_and_the_oldest_forgotten_first()
    {
        var store = new InMemoryFeedbackStore();
        StoredFeedback Item(int i) => new("svc", "card-" + i, "accepted", [], null, null, null, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

        Assert.Equal(InMemoryFeedbackStore.MaxKeptKeys + 1,
            await store.AddAsync([.. Enumerable.Range(0, InMemoryFeedbackStore.MaxKeptKeys + 1).Select(Item)], CancellationToken.None));

        Assert.Equal(InMemoryFeedbackStore.MaxKeptItems, store.All().Count);
        Assert.Equal(0, await store.AddAsync([Item(InMemoryFeedbackStore.MaxKeptKeys)], CancellationToken.None)); // still known
        Assert.Equal(1, await store.AddAsync([Item(0)], CancellationToken.None)); // forgotten: kept again
    }

    [Testing.UnixFact]
    public async Task The_feedback_file_holding_clinicians_comments_is_created_0600_in_a_0700_folder()
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "feedback", "cds.jsonl");
        var item = FeedbackReader.Read("svc", System.Text.Json.JsonSerializer.Deserialize(Overridden, CdsHooksJsonContext.Default.CdsFeedbackRequest), DateTimeOffset.UnixEpoch);
        using (var store = new JsonlFeedbackStore(path))
            Assert.Equal(1, await store.AddAsync(item, CancellationToken.None));
        Testing.UnixFileModes.AssertOwnerOnlyFile(path);
        Testing.UnixFileModes.AssertOwnerOnlyFolder(Path.GetDirectoryName(path)!);
    }

    [Fact]
    public async Task The_server_uses_the_jsonl_store_when_a_path_is_configured()
    {
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "cds-feedback.jsonl");
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?> { ["CdsHooks:FeedbackPath"] = path });
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.ReadmissionRiskId}/feedback", Overridden);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var line = Assert.Single(File.ReadAllLines(path));
        Assert.Contains("\"card\":\"c-1\"", line, StringComparison.Ordinal);
        Assert.Contains("\"issued\":false", line, StringComparison.Ordinal); // kept, and marked: no card of this service
    }
}
