using System.Net;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>At most <c>CdsHooks:Fhir:MaxRequestsPerServer</c> requests reach one FHIR server authority at once, over
/// every issuer and key; a key that waits past its budget fails as timed out without reaching the server or its
/// circuit; another authority is not held up; the map forgets an authority once nothing holds or waits for it.</summary>
public sealed class FhirServerSlotsTests
{
    private static readonly Uri ServerA = new("http://fhir-a.test/base");
    private static readonly Uri ServerB = new("http://fhir-b.test/base");

    [Fact]
    public async Task One_server_gets_at_most_its_slots_at_once_over_every_issuer_and_another_server_is_not_held_up()
    {
        var options = new FhirFetchOptions { MaxRequestsPerServer = 3, AttemptTimeout = TimeSpan.FromSeconds(20), TotalTimeout = TimeSpan.FromSeconds(30) };
        var handler = new GatedHandler("fhir-a.test");
        var slots = new FhirServerSlots(options.MaxRequestsPerServer);
        var client = new FhirServerClient(new HttpClient(handler), new FhirResiliencePipelines(options, TimeProvider.System, NullLogger.Instance),
            options, TimeProvider.System, slots: slots);

        var fetches = Enumerable.Range(0, 12)
            .Select(i => client.FetchAsync(ServerA, $"Patient/p{i}", null, $"https://ehr-{i % 4}.example", TestCallBytes.Unbounded(), CancellationToken.None))
            .ToArray();
        await handler.WaitForInFlightAsync(3);
        await Task.Delay(200);
        Assert.Equal(3, handler.InFlight); // the other nine wait for a slot, whichever issuer they come from

        var other = await client.FetchAsync(ServerB, "Patient/b", null, "https://ehr-0.example", TestCallBytes.Unbounded(), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(other.Problem); // fhir-b.test is not held up by fhir-a.test's full slots

        handler.Open();
        var results = await Task.WhenAll(fetches).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(results, r => Assert.Null(r.Problem));
        Assert.Equal(3, handler.MostInFlight);
        Assert.Equal(13, handler.Requests);
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

        var held = await slots.EnterAsync(ServerA, CancellationToken.None);
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
    public async Task A_wait_cancelled_by_its_caller_leaves_the_slots_as_they_were()
    {
        var slots = new FhirServerSlots(1);
        var held = await slots.EnterAsync(ServerA, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = slots.EnterAsync(ServerA, cancel.Token).AsTask();
        Assert.False(waiting.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, slots.Count);

        held.Dispose();
        Assert.Equal(0, slots.Count);
        using var again = await slots.EnterAsync(ServerA, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, slots.Count);
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
