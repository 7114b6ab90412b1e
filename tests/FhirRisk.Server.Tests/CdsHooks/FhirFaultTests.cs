using System.Diagnostics;
using System.Net;
using System.Text.Json;
using FhirRisk.Server.CdsHooks;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>The FHIR server behind a hook call is down, slow or failing: the call still answers, promptly, with cards
/// that say what is missing; repeated failures open the circuit so later calls do not wait.</summary>
public sealed class FhirFaultTests
{
    private static readonly Dictionary<string, string?> FastBreaker = new()
    {
        ["CdsHooks:Fhir:AttemptTimeout"] = "00:00:00.500",
        ["CdsHooks:Fhir:TotalTimeout"] = "00:00:02",
        ["CdsHooks:Fhir:MaxRetries"] = "2",
        ["CdsHooks:Fhir:MinimumThroughput"] = "4",
        ["CdsHooks:Fhir:FailureRatio"] = "0.5",
        ["CdsHooks:Fhir:BreakDuration"] = "00:01:00",
    };

    [Fact]
    public async Task A_server_that_is_down_degrades_the_cards_with_a_clear_message()
    {
        await using var server = await TestCdsServer.StartAsync(FastBreaker);
        var clock = Stopwatch.StartNew();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", fhirServer: FakeFhirServer.DownUrl()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        var cards = await CardsAsync(response);
        var notice = cards.Last();
        Assert.Equal("info", notice.GetProperty("indicator").GetString());
        Assert.StartsWith("Risk estimates may be incomplete", notice.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains("unreachable", notice.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.All(cards.SkipLast(1), c => Assert.Contains("Incomplete data", c.GetProperty("detail").GetString(), StringComparison.Ordinal));
    }

    // Security review s12 #2: an allowed server's redirect was followed to any host, whose answer was read as the patient's.
    [Fact]
    public async Task A_redirect_is_not_followed_and_the_cards_say_what_the_server_answered()
    {
        await using var fhir = await FhirRisk.Server.Tests.Security.FakeJwksServer.StartAsync();
        foreach (var path in new[] { "/fhir/Patient/p1", "/fhir/Condition", "/fhir/Observation", "/fhir/Encounter", "/fhir/MedicationRequest", "/fhir/Procedure" })
            fhir.Routes[path] = (302, "", "/internal" + path);
        // Generous timeouts, as for the 500s below: a cold, loaded machine must not time the first attempts out.
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>(FastBreaker)
        {
            ["CdsHooks:Fhir:AllowedServers:0"] = fhir.Url("/fhir"),
            ["CdsHooks:Fhir:AttemptTimeout"] = "00:00:05",
            ["CdsHooks:Fhir:TotalTimeout"] = "00:00:30",
        });

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", fhirServer: fhir.Url("/fhir")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(fhir.Hits.Keys.Any(k => k.StartsWith("/fhir/", StringComparison.Ordinal)), "the allowed server was not asked");
        Assert.DoesNotContain(fhir.Hits.Keys, k => k.StartsWith("/internal", StringComparison.Ordinal));
        Assert.Contains("HTTP 302", (await CardsAsync(response)).Last().GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_answering_500_is_retried_then_its_circuit_opens_and_later_calls_do_not_reach_it()
    {
        await using var fhir = await FakeFhirServer.StartAsync(FakeFhirMode.Error500);
        // The fake answers 500 at once, so the attempt timeout plays no part here; a generous one keeps a cold, loaded
        // machine from timing the first attempts out before they reach the fake (the circuit would then open on
        // timeouts with no hit counted). Timeouts have their own test below.
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>(FastBreaker)
        {
            ["CdsHooks:Fhir:AttemptTimeout"] = "00:00:05",
            ["CdsHooks:Fhir:TotalTimeout"] = "00:00:30",
        });
        using (var first = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}", CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            // The keys whose retries met the circuit it opened keep their first attempt's cause (service review s11 #1).
            Assert.Contains("HTTP 500", (await CardsAsync(first)).Last().GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.True(server.Logs.Has(203), "the circuit should have opened (event 203)");
        var hitsWhenOpen = fhir.Hits;
        Assert.InRange(hitsWhenOpen, 4, 6 * 3); // at most 6 keys × (1 + 2 retries)

        var clock = Stopwatch.StartNew();
        using var second = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}", CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"an open circuit should answer at once, took {clock.Elapsed}");
        Assert.Equal(hitsWhenOpen, fhir.Hits);
        Assert.Contains("calls paused", (await CardsAsync(second)).Last().GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_server_times_out_and_many_concurrent_calls_finish_in_bounded_time()
    {
        await using var fhir = await FakeFhirServer.StartAsync(FakeFhirMode.Slow);
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:Fhir:AttemptTimeout"] = "00:00:00.500",
            ["CdsHooks:Fhir:TotalTimeout"] = "00:00:02",
            ["CdsHooks:Fhir:MaxRetries"] = "1",
            ["CdsHooks:Fhir:MinimumThroughput"] = "1000", // keep the circuit closed: every call must wait for its own timeout
        });
        ThreadPool.GetAvailableThreads(out var workersBefore, out _);
        var clock = Stopwatch.StartNew();
        var calls = Enumerable.Range(0, 40).Select(_ =>
            server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}", CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl))).ToList();
        var responses = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));
        var elapsed = clock.Elapsed;
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        // 240 fetches each held ~1 s (2 attempts × 0.5 s): blocking threads would need hundreds of them; async needs none.
        Assert.True(elapsed < TimeSpan.FromSeconds(15), $"40 concurrent calls took {elapsed}");
        Assert.Contains("FHIR server timed out", (await CardsAsync(responses[0])).Last().GetProperty("detail").GetString(), StringComparison.Ordinal);
        ThreadPool.GetAvailableThreads(out var workersAfter, out _);
        Assert.True(workersBefore - workersAfter < 50, $"thread pool workers in use grew by {workersBefore - workersAfter}");
        foreach (var response in responses)
            response.Dispose();
    }

    [Fact]
    public async Task A_server_that_sends_headers_then_stalls_the_body_is_timed_out_like_a_slow_one()
    {
        await using var fhir = await FakeFhirServer.StartAsync(FakeFhirMode.StallBody);
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:Fhir:AttemptTimeout"] = "00:00:00.500",
            ["CdsHooks:Fhir:TotalTimeout"] = "00:00:02",
            ["CdsHooks:Fhir:MaxRetries"] = "1",
            ["CdsHooks:Fhir:MinimumThroughput"] = "1000", // keep the circuit closed: each key must time its own body out
        });
        var clock = Stopwatch.StartNew();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}"); // TotalTimeout 2 s per key, keys in parallel
        var cards = await CardsAsync(response);
        Assert.Contains("FHIR server timed out", cards.Last().GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.All(cards.SkipLast(1), c => Assert.Contains("Incomplete data", c.GetProperty("detail").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task TotalTimeout_bounds_a_whole_key_with_all_its_pages()
    {
        await using var fhir = await FakeFhirServer.StartAsync(FakeFhirMode.SlowEndlessPages);
        fhir.PageDelay = TimeSpan.FromMilliseconds(300);
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:Fhir:AttemptTimeout"] = "00:00:01",
            ["CdsHooks:Fhir:TotalTimeout"] = "00:00:01.500",
            ["CdsHooks:Fhir:MaxPages"] = "40", // 40 pages × 0.3 s: each page is in time, the key is not
            ["CdsHooks:Fhir:MinimumThroughput"] = "1000",
        });
        var clock = Stopwatch.StartNew();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}");
        var notice = (await CardsAsync(response)).Last().GetProperty("detail").GetString()!;
        Assert.Contains("encounters", notice, StringComparison.Ordinal);
        Assert.Contains("FHIR server timed out", notice, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_search_cut_at_MaxPages_keeps_its_pages_and_says_the_data_is_incomplete()
    {
        await using var fhir = await FakeFhirServer.StartAsync(FakeFhirMode.EndlessPages);
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?> { ["CdsHooks:Fhir:MaxPages"] = "3" });
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var searches = CdsServiceCatalog.PrefetchTemplates.Count - 1;
        Assert.Equal(10, searches);
        Assert.Equal(1 + searches * 3, fhir.Hits); // the Patient read, then 3 pages of each search
        Assert.Equal(1 + searches * 3, server.Risks.Requests.Single().FhirResources.Count); // the pages read are used
        var cards = await CardsAsync(response);
        var notice = cards.Last();
        Assert.StartsWith("Risk estimates may be incomplete", notice.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains("search cut after 3 pages", notice.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.All(cards.SkipLast(1), c => Assert.Contains("Incomplete data", c.GetProperty("detail").GetString(), StringComparison.Ordinal));
        var cut = Assert.Single(server.Logs.Entries, e => e.EventId == 210);
        Assert.Contains(" 10 FHIR searches", cut.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("p1", cut.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData((int)FakeFhirMode.NextOnAnotherHost, "search continued on another server, not followed")]
    [InlineData((int)FakeFhirMode.LaterPageGone, "search page 2 gone")]
    public async Task A_search_that_goes_on_where_it_is_not_followed_keeps_its_pages_and_says_the_data_is_incomplete(int modeNumber, string words)
    {
        var mode = (FakeFhirMode)modeNumber;
        // Review s24-cds M2: the first page was taken for the whole search, and the cards said nothing.
        await using var fhir = await FakeFhirServer.StartAsync(mode);
        await using var server = await TestCdsServer.StartAsync();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var searches = CdsServiceCatalog.PrefetchTemplates.Count - 1;
        Assert.Equal(1 + searches * (mode == FakeFhirMode.LaterPageGone ? 2 : 1), fhir.Hits);
        Assert.Equal(1 + searches, server.Risks.Requests.Single().FhirResources.Count); // the first pages are used
        var notice = (await CardsAsync(response)).Last();
        Assert.StartsWith("Risk estimates may be incomplete", notice.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains(words, notice.GetProperty("detail").GetString(), StringComparison.Ordinal);
        if (mode == FakeFhirMode.LaterPageGone)
            Assert.Contains("HTTP 410", notice.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_relative_next_link_is_followed_on_the_same_server()
    {
        await using var fhir = await FakeFhirServer.StartAsync(FakeFhirMode.RelativeNext);
        await using var server = await TestCdsServer.StartAsync();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var searches = CdsServiceCatalog.PrefetchTemplates.Count - 1;
        Assert.Equal(1 + searches * 2, fhir.Hits);
        Assert.Contains(fhir.Requests, r => r.PathAndQuery == "/fhir/Observation?page=2");
        Assert.Equal(1 + searches * 2, server.Risks.Requests.Single().FhirResources.Count);
        Assert.DoesNotContain("incomplete", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_response_over_MaxBytesPerKey_fails_its_key_without_being_read_further()
    {
        await using var fhir = await FakeFhirServer.StartAsync(FakeFhirMode.HugeRead);
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?> { ["CdsHooks:Fhir:MaxBytesPerKey"] = "50000" });
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(CdsServiceCatalog.PrefetchTemplates.Count - 1, server.Risks.Requests.Single().FhirResources.Count); // the searches, not the 100 kB Patient
        var notice = (await CardsAsync(response)).Last().GetProperty("detail").GetString()!;
        Assert.Contains("patient", notice, StringComparison.Ordinal);
        Assert.Contains("response too large", notice, StringComparison.Ordinal);
    }

    private static async Task<List<JsonElement>> CardsAsync(HttpResponseMessage response)
    {
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. document.RootElement.GetProperty("cards").EnumerateArray()];
    }
}
