using System.Net;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>At most <c>CdsHooks:Fhir:MaxRequestsPerServer</c> keys of one issuer reach one FHIR server authority at once;
/// another issuer and another authority are not held up; a key holds its slot through all its pages; a key that waits
/// past its budget fails as timed out without reaching the server or its circuit; the map forgets an entry once nothing
/// holds or waits for it; the service's clients share one set of slots.</summary>
public sealed class FhirServerSlotsTests
{
    private static readonly Uri ServerA = new("http://fhir-a.test/base");
    private static readonly Uri ServerB = new("http://fhir-b.test/base");

    [Fact]
    public async Task One_issuer_gets_at_most_its_slots_at_one_server_and_another_issuer_or_server_is_not_held_up()
    {
        var options = new FhirFetchOptions { MaxRequestsPerServer = 3, AttemptTimeout = TimeSpan.FromSeconds(20), TotalTimeout = TimeSpan.FromSeconds(30) };
        var handler = new GatedHandler("fhir-a.test");
        var slots = new FhirServerSlots(options.MaxRequestsPerServer);
        var client = new FhirServerClient(new HttpClient(handler), new FhirResiliencePipelines(options, TimeProvider.System, NullLogger.Instance),
            options, TimeProvider.System, slots: slots);

        var fetches = Enumerable.Range(0, 12)
            .Select(i => client.FetchAsync(ServerA, $"Patient/p{i}", null, "https://ehr-a.example", TestCallBytes.Unbounded(), CancellationToken.None))
            .ToArray();
        await handler.WaitForInFlightAsync(3);
        await Task.Delay(200);
        Assert.Equal(3, handler.InFlight); // the other nine wait for one of the issuer's slots

        // Another issuer's key at the same server has slots of its own (review s26 M1): it reaches the server now.
        var otherIssuer = client.FetchAsync(ServerA, "Patient/o", null, "https://ehr-b.example", TestCallBytes.Unbounded(), CancellationToken.None);
        await handler.WaitForInFlightAsync(4);
        Assert.False(otherIssuer.IsCompleted);
        var otherServer = await client.FetchAsync(ServerB, "Patient/b", null, "https://ehr-a.example", TestCallBytes.Unbounded(), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(otherServer.Problem); // fhir-b.test is not held up by fhir-a.test's full slots

        handler.Open();
        var results = await Task.WhenAll([.. fetches, otherIssuer]).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(results, r => Assert.Null(r.Problem));
        Assert.Equal(4, handler.MostInFlight);
        Assert.Equal(14, handler.Requests);
        Assert.Equal(0, slots.Count);
    }

    [Fact]
    public async Task A_key_that_waits_past_its_budget_times_out_without_reaching_the_server_or_its_circuit()
    {
        var options = new FhirFetchOptions
        {
            MaxRequestsPerServer = 1, AttemptTimeout = TimeSpan.FromMilliseconds(200), TotalTimeout = TimeSpan.FromMilliseconds(300),
            MinimumThroughput = 2, FailureRatio = 0.5,
        };
        var handler = new GatedHandler(gatedHost: null);
        var slots = new FhirServerSlots(options.MaxRequestsPerServer);
        var client = new FhirServerClient(new HttpClient(handler), new FhirResiliencePipelines(options, TimeProvider.System, NullLogger.Instance),
            options, TimeProvider.System, slots: slots);

        var held = await slots.EnterAsync(ServerA, "", CancellationToken.None);
        var waited = await Task.WhenAll(Enumerable.Range(0, 6)
                .Select(i => client.FetchAsync(ServerA, $"Patient/p{i}", null, "", TestCallBytes.Unbounded(), CancellationToken.None)))
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(waited, r => Assert.Equal(FetchFailure.TimedOut, r.Problem!.Kind));
        Assert.Equal(0, handler.Requests);

        held.Dispose();
        held.Dispose(); // a second dispose gives nothing back twice
        var answered = await client.FetchAsync(ServerA, "Patient/p", null, "", TestCallBytes.Unbounded(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(answered.Problem); // the circuit is closed: six timed-out waits were never attempts
        Assert.Equal(1, handler.Requests);
        Assert.Equal(0, slots.Count);
    }

    [Fact]
    public async Task A_key_holds_its_slot_through_all_its_pages()
    {
        // Review s26 M2: with a slot per page, page 2 queued again behind other keys' first pages, and lost page 1 when the
        // key's budget ran out meanwhile.
        var options = new FhirFetchOptions { MaxRequestsPerServer = 1, AttemptTimeout = TimeSpan.FromSeconds(20), TotalTimeout = TimeSpan.FromSeconds(30) };
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var firstPage = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new AnswerHandler(async request =>
        {
            var url = request.RequestUri!.PathAndQuery;
            order.Enqueue(url.Contains("page=2", StringComparison.Ordinal) ? "search page 2" : url.Contains("Observation", StringComparison.Ordinal) ? "search page 1" : "other key");
            if (url.Contains("Observation", StringComparison.Ordinal) && !url.Contains("page=2", StringComparison.Ordinal))
            {
                firstPage.TrySetResult();
                await Task.Delay(300); // the other key queues while page 1 is read
                return """{"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":"http://fhir-a.test/base/Observation?page=2"}],"entry":[]}""";
            }
            return url.Contains("page=2", StringComparison.Ordinal) ? """{"resourceType":"Bundle","type":"searchset","entry":[]}""" : """{"resourceType":"Patient","id":"p"}""";
        });
        var client = new FhirServerClient(new HttpClient(handler), new FhirResiliencePipelines(options, TimeProvider.System, NullLogger.Instance),
            options, TimeProvider.System, slots: new FhirServerSlots(options.MaxRequestsPerServer));

        var search = client.FetchAsync(ServerA, "Observation?patient=p", null, "", TestCallBytes.Unbounded(), CancellationToken.None);
        await firstPage.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var other = client.FetchAsync(ServerA, "Patient/p", null, "", TestCallBytes.Unbounded(), CancellationToken.None);
        var results = await Task.WhenAll(search, other).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(results, r => Assert.Null(r.Problem));
        Assert.Equal(2, results[0].Documents.Count);
        Assert.Equal(["search page 1", "search page 2", "other key"], order);
    }

    [Fact]
    public async Task A_slot_granted_with_too_little_budget_left_is_not_used()
    {
        var options = new FhirFetchOptions { MaxRequestsPerServer = 1, AttemptTimeout = TimeSpan.FromMilliseconds(400), TotalTimeout = TimeSpan.FromMilliseconds(500) };
        var handler = new GatedHandler(gatedHost: null);
        var slots = new FhirServerSlots(options.MaxRequestsPerServer);
        var client = new FhirServerClient(new HttpClient(handler), new FhirResiliencePipelines(options, TimeProvider.System, NullLogger.Instance),
            options, TimeProvider.System, slots: slots);
        Assert.Equal(TimeSpan.FromMilliseconds(250), FhirServerClient.MinimumSendBudget(options));

        var held = await slots.EnterAsync(ServerA, "", CancellationToken.None);
        var waiting = client.FetchAsync(ServerA, "Patient/p", null, "", TestCallBytes.Unbounded(), CancellationToken.None);
        await Task.Delay(350); // the key has about 150 ms left when the slot comes free
        held.Dispose();
        var result = await waiting.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(FetchFailure.TimedOut, result.Problem!.Kind);
        Assert.Equal(0, handler.Requests);
    }

    [Fact]
    public async Task The_service_s_FHIR_clients_share_one_set_of_slots()
    {
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?> { ["CdsHooks:Fhir:MaxRequestsPerServer"] = "5" });
        var shared = server.Services.GetRequiredService<FhirServerSlots>();
        Assert.Same(shared, server.Services.GetRequiredService<FhirServerClient>().Slots);
        Assert.Same(shared, server.Services.GetRequiredService<FhirServerClient>().Slots);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FhirServerSlots(0));
    }

    [Fact]
    public async Task A_wait_cancelled_by_its_caller_leaves_the_slots_as_they_were()
    {
        var slots = new FhirServerSlots(1);
        var held = await slots.EnterAsync(ServerA, "", CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = slots.EnterAsync(ServerA, "", cancel.Token).AsTask();
        Assert.False(waiting.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, slots.Count);

        held.Dispose();
        Assert.Equal(0, slots.Count);
        using var again = await slots.EnterAsync(ServerA, "", CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, slots.Count);
    }

    private sealed class AnswerHandler(Func<HttpRequestMessage, Task<string>> answer) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            new(HttpStatusCode.OK) { Content = new StringContent(await answer(request)) };
    }

    /// <summary>Answers a Patient; requests to <c>gatedHost</c> wait until <see cref="Open"/>. Counts every request, and
    /// how many of the gated host's were in flight at once.</summary>
    private sealed class GatedHandler(string? gatedHost) : HttpMessageHandler
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inFlight;
        private int _mostInFlight;
        private int _requests;

        public int InFlight => Volatile.Read(ref _inFlight);

        public int MostInFlight => Volatile.Read(ref _mostInFlight);

        public int Requests => Volatile.Read(ref _requests);

        public void Open() => _gate.TrySetResult();

        public async Task WaitForInFlightAsync(int count)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (InFlight < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{InFlight} requests in flight, waited for {count}");
                await Task.Delay(10);
            }
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            var answer = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"resourceType":"Patient","id":"p"}""") };
            if (request.RequestUri!.Host != gatedHost)
                return answer;
            var now = Interlocked.Increment(ref _inFlight);
            int most;
            while (now > (most = Volatile.Read(ref _mostInFlight)) && Interlocked.CompareExchange(ref _mostInFlight, now, most) != most)
            {
            }
            try
            {
                await _gate.Task.WaitAsync(cancellationToken);
                return answer;
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }
}
