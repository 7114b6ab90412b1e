using System.Net;
using System.Text;
using System.Text.Json;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>The bounds on CDS Hooks calls in flight (security review s12 #9): <c>CdsHooks:MaxConcurrentCalls</c>, the
/// bytes of bodies and FHIR pages all calls hold (<c>MaxBytesInFlight</c>), and the FHIR pages of one call
/// (<c>Fhir:MaxBytesPerCall</c>). A call is held open by sending part of its body and stalling.</summary>
public sealed class CallLimitTests
{
    private static readonly string Service = $"/cds-services/{CdsServiceCatalog.PatientRiskId}";

    [Fact]
    public async Task A_call_beyond_MaxConcurrentCalls_is_503_with_Retry_After_until_a_place_frees()
    {
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:MaxConcurrentCalls"] = "1",
            ["CdsHooks:CallQueueTimeout"] = "00:00:00",
        });
        var limits = server.Services.GetRequiredService<CdsCallLimits>();
        var release = new TaskCompletionSource();
        var held = Send(server, new StalledBody("{", Hook()[1..], release.Task, "application/json"));
        await StalledBody.WaitUntil(() => limits.Calls.InFlight == 1);

        using (var refused = await server.PostJsonAsync(Service, Hook()))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
            var outcome = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("issue")[0];
            Assert.Equal("throttled", outcome.GetProperty("code").GetString());
            Assert.Contains("CdsHooks:MaxConcurrentCalls", outcome.GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
        }
        Assert.Empty(server.Risks.Requests); // the refused call never reached the model

        release.SetResult();
        using (var first = await held.WaitAsync(TimeSpan.FromSeconds(30)))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var after = await server.PostJsonAsync(Service, Hook());
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(1, limits.Calls.Rejected);
        Assert.True(server.Logs.Has(504));
    }

    [Fact]
    public async Task A_call_that_would_pass_MaxBytesInFlight_is_503_and_the_bytes_come_back_when_calls_end()
    {
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:MaxBodyBytes"] = "100000",
            ["CdsHooks:MaxBytesInFlight"] = "100000",
        });
        var limits = server.Services.GetRequiredService<CdsCallLimits>();
        var release = new TaskCompletionSource();
        // JSON may start with any amount of white space: 70 kB of it, then a stall.
        var held = Send(server, new StalledBody(new string(' ', 70_000), Hook(), release.Task, "application/json"));
        await StalledBody.WaitUntil(() => limits.Bytes.InUse >= 70_000);
        var second = new string(' ', 40_000) + Hook();

        using (var refused = await server.PostJsonAsync(Service, second))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
            Assert.Contains("CdsHooks:MaxBytesInFlight", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        release.SetResult();
        using (var first = await held.WaitAsync(TimeSpan.FromSeconds(30)))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(0, limits.Bytes.InUse);
        using var again = await server.PostJsonAsync(Service, second);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(0, limits.Bytes.InUse);
        Assert.True(server.Logs.Has(505));
    }

    [Fact]
    public async Task A_declared_body_holds_its_length_before_it_arrives_and_a_call_that_cannot_fit_is_refused_unread()
    {
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:MaxBodyBytes"] = "100000",
            ["CdsHooks:MaxBytesInFlight"] = "100000",
        });
        var limits = server.Services.GetRequiredService<CdsCallLimits>();
        var release = new TaskCompletionSource();
        // 70 kB declared; one byte sent, then a stall: the whole length is held already.
        var held = Send(server, new StalledBody("{", new string(' ', 70_000) + Hook()[1..], release.Task, "application/json", declareLength: true));
        await StalledBody.WaitUntil(() => limits.Bytes.InUse >= 70_000);
        Assert.True(limits.Bytes.InUse < 71_000 + Hook().Length);

        // 40 kB declared would pass the budget: refused before a byte of it is read.
        using (var refused = await server.PostJsonAsync(Service, new string(' ', 40_000) + Hook()))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        // A small call still fits beside it.
        using (var small = await server.PostJsonAsync(Service, Hook()))
            Assert.Equal(HttpStatusCode.OK, small.StatusCode);

        release.SetResult();
        using (var first = await held.WaitAsync(TimeSpan.FromSeconds(30)))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(0, limits.Bytes.InUse);
    }

    [Fact]
    public async Task A_body_that_does_not_arrive_within_BodyTimeout_is_408_and_gives_its_place_and_bytes_back()
    {
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:MaxBodyBytes"] = "100000",
            ["CdsHooks:MaxBytesInFlight"] = "100000",
            ["CdsHooks:MaxConcurrentCalls"] = "1",
            ["CdsHooks:BodyTimeout"] = "00:00:01",
        });
        var limits = server.Services.GetRequiredService<CdsCallLimits>();
        var release = new TaskCompletionSource();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var held = Send(server, new StalledBody("{", new string(' ', 70_000) + Hook()[1..], release.Task, "application/json", declareLength: true));
        await StalledBody.WaitUntil(() => limits.Bytes.InUse >= 70_000);

        // While the client still stalls, the server gives the place and the bytes back at the timeout.
        await StalledBody.WaitUntil(() => limits.Bytes.InUse == 0 && limits.Calls.InFlight == 0);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
        release.SetResult();
        using (var timedOut = await held.WaitAsync(TimeSpan.FromSeconds(30)))
        {
            Assert.Equal(HttpStatusCode.RequestTimeout, timedOut.StatusCode);
            var outcome = JsonDocument.Parse(await timedOut.Content.ReadAsStringAsync()).RootElement.GetProperty("issue")[0];
            Assert.Equal("timeout", outcome.GetProperty("code").GetString());
            Assert.Contains("CdsHooks:BodyTimeout", outcome.GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
        }
        using var after = await server.PostJsonAsync(Service, new string(' ', 70_000) + Hook());
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Fetched_pages_over_MaxBytesPerCall_fail_their_key_as_too_large_together()
    {
        // Each key is within MaxBytesPerKey (16 MiB); the 100 kB Patient cannot fit the call's 50 kB.
        await using var fhir = await FakeFhirServer.StartAsync(FakeFhirMode.HugeRead);
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?> { ["CdsHooks:Fhir:MaxBytesPerCall"] = "50000" });

        using var response = await server.PostJsonAsync(Service, CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cards = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("cards");
        var notice = cards[cards.GetArrayLength() - 1].GetProperty("detail").GetString()!;
        // The keys that failed alike are named together; which searches fit beside the Patient's first bytes is a race.
        var group = notice[notice.IndexOf("not retrieved: ", StringComparison.Ordinal)..];
        // Markdown-escaped: "\(".
        Assert.Matches(@"^not retrieved: ([a-zA-Z]+, )*patient(, [a-zA-Z]+)* \\\(FHIR server responses of this call too large together\\\)", group);
        Assert.Equal(0, server.Services.GetRequiredService<CdsCallLimits>().Bytes.InUse);
    }

    [Fact]
    public async Task A_call_whose_client_goes_away_mid_body_gives_its_place_and_bytes_back()
    {
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?> { ["CdsHooks:MaxConcurrentCalls"] = "1" });
        var limits = server.Services.GetRequiredService<CdsCallLimits>();
        using var abort = new CancellationTokenSource();
        var held = server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, Service)
        {
            Content = new StalledBody(new string(' ', 50_000), Hook(), Task.Delay(Timeout.Infinite, abort.Token), "application/json"),
        }, abort.Token);
        await StalledBody.WaitUntil(() => limits.Calls.InFlight == 1 && limits.Bytes.InUse >= 50_000);

        await abort.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);

        await StalledBody.WaitUntil(() => limits.Calls.InFlight == 0 && limits.Bytes.InUse == 0);
        using var after = await server.PostJsonAsync(Service, Hook());
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Feedback_takes_a_place_and_is_read_no_further_than_4_MiB()
    {
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:MaxConcurrentCalls"] = "1",
            ["CdsHooks:CallQueueTimeout"] = "00:00:00",
        });
        var limits = server.Services.GetRequiredService<CdsCallLimits>();
        var feedback = $"/cds-services/{CdsServiceCatalog.PatientRiskId}/feedback";
        const string Item = """{"feedback":[{"card":"c1","outcome":"accepted","outcomeTimestamp":"2026-12-06T10:00:00Z"}]}""";

        // Chunked and just over: the server reads to the limit and refuses, with little of the body left unsent.
        var over = new string(' ', (int)CdsHooksEndpoints.MaxFeedbackBytes - Item.Length + 10) + Item;
        using var largeRequest = new HttpRequestMessage(HttpMethod.Post, feedback) { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(over))) };
        largeRequest.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        largeRequest.Headers.TransferEncodingChunked = true;
        using (var large = await server.Client.SendAsync(largeRequest).WaitAsync(TimeSpan.FromSeconds(30)))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
            Assert.Contains("feedback bodies", await large.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var release = new TaskCompletionSource();
        var held = Send(server, new StalledBody("{", Hook()[1..], release.Task, "application/json"));
        await StalledBody.WaitUntil(() => limits.Calls.InFlight == 1);
        using (var refused = await server.PostJsonAsync(feedback, Item))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
        }
        release.SetResult();
        using (var first = await held.WaitAsync(TimeSpan.FromSeconds(30)))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var stored = await server.PostJsonAsync(feedback, Item);
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
    }

    [Theory]
    [InlineData("CdsHooks:MaxConcurrentCalls", "0")]
    [InlineData("CdsHooks:CallQueueTimeout", "-00:00:01")]
    [InlineData("CdsHooks:CallQueueTimeout", "30.00:00:00")] // past what a wait can take (about 24.8 days), and long before
    [InlineData("CdsHooks:MaxBytesInFlight", "1000")] // below MaxBodyBytes
    [InlineData("CdsHooks:BodyTimeout", "00:00:00")]
    [InlineData("CdsHooks:BodyTimeout", "00:10:01")]
    [InlineData("CdsHooks:Fhir:MaxBytesPerCall", "0")]
    [InlineData("CdsHooks:Fhir:MaxRequestsPerServer", "0")]
    public async Task A_limit_that_cannot_work_stops_the_start_naming_its_key(string key, string value)
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => TestCdsServer.StartAsync(new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    private static string Hook() => CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch);

    private static Task<HttpResponseMessage> Send(TestCdsServer server, HttpContent body) =>
        server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, Service) { Content = body });
}
