using System.Net;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>A key whose attempts fail in different ways keeps the first failure's cause, said in words (service review
/// s11 #1: a 503 retried into an open circuit was reported as "CircuitOpen" alone).</summary>
public sealed class FetchProblemTests
{
    [Fact]
    public async Task A_503_retried_into_an_open_circuit_is_reported_as_both_in_words()
    {
        var client = Client(new ScriptedHandler(_ => Status(HttpStatusCode.ServiceUnavailable)),
            new FhirFetchOptions { MaxRetries = 2, RetryDelay = TimeSpan.FromMilliseconds(1), MinimumThroughput = 2, FailureRatio = 0.5 });

        var result = await client.FetchAsync(new Uri("http://fhir.test/base"), "Encounter?patient=p", null, "", TestCallBytes.Unbounded(), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

        var problem = Assert.IsType<FetchProblem>(result.Problem);
        Assert.Equal(FetchFailure.CircuitOpen, problem.Kind);
        Assert.Equal(new FetchProblem(FetchFailure.ServerError, 503), problem.FirstAttempt);
        Assert.Equal("FHIR server calls paused after repeated failures; first attempt: HTTP 503", problem.Describe(5));
    }

    [Fact]
    public async Task A_503_then_a_broken_connection_keeps_the_503()
    {
        var attempts = 0;
        var client = Client(new ScriptedHandler(_ => ++attempts == 1 ? Status(HttpStatusCode.ServiceUnavailable) : throw new HttpRequestException("refused")),
            new FhirFetchOptions { MaxRetries = 1, RetryDelay = TimeSpan.FromMilliseconds(1), MinimumThroughput = 1000 });

        var result = await client.FetchAsync(new Uri("http://fhir.test/base"), "Patient/p", null, "", TestCallBytes.Unbounded(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, attempts);
        Assert.Equal("FHIR server unreachable; first attempt: HTTP 503", result.Problem!.Describe(5));
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, "FHIR server error: HTTP 503")]
    [InlineData(HttpStatusCode.Forbidden, "FHIR server refused the access token: HTTP 403")]
    public async Task A_status_that_is_not_an_answer_is_named(HttpStatusCode status, string words)
    {
        var client = Client(new ScriptedHandler(_ => Status(status)),
            new FhirFetchOptions { MaxRetries = 1, RetryDelay = TimeSpan.FromMilliseconds(1), MinimumThroughput = 1000 });

        var result = await client.FetchAsync(new Uri("http://fhir.test/base"), "Patient/p", null, "", TestCallBytes.Unbounded(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(words, result.Problem!.Describe(5)); // the same failure twice is said once
    }

    [Fact]
    public async Task A_key_that_fails_after_pages_were_read_gives_their_bytes_back_and_a_key_that_succeeds_keeps_them()
    {
        const string FirstPage = """{"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":"http://fhir.test/base/Observation?page=2"}],"entry":[]}""";
        var secondFails = true;
        var client = Client(new ScriptedHandler(request => request.RequestUri!.Query.Contains("page=2", StringComparison.Ordinal)
                ? (secondFails ? Status(HttpStatusCode.InternalServerError) : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(EmptyPage) })
                : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(FirstPage) }),
            new FhirFetchOptions { MaxRetries = 0, MinimumThroughput = 1000 });
        var budget = new BytesInFlight(1L << 30, TimeProvider.System, NullLogger.Instance);

        using (var call = budget.OpenCall(1L << 30))
        {
            var failed = await client.FetchAsync(new Uri("http://fhir.test/base"), "Observation?patient=p", null, "", call, CancellationToken.None)
                .WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(FetchFailure.ServerError, failed.Problem!.Kind);
            Assert.Equal(0, call.Held); // page 1 was read and counted, then dropped with its key
        }
        secondFails = false;
        using (var call = budget.OpenCall(1L << 30))
        {
            var read = await client.FetchAsync(new Uri("http://fhir.test/base"), "Observation?patient=p", null, "", call, CancellationToken.None)
                .WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Null(read.Problem);
            Assert.Equal(2, read.Documents.Count);
            Assert.Equal(FirstPage.Length + EmptyPage.Length, call.Held); // kept: counted until the call ends
        }
        Assert.Equal(0, budget.InUse);
    }

    private const string EmptyPage = """{"resourceType":"Bundle","type":"searchset","entry":[]}""";

    [Fact]
    public void Every_failure_is_said_in_words_never_by_its_enum_name()
    {
        foreach (var kind in Enum.GetValues<FetchFailure>().Where(k => k != FetchFailure.None))
        {
            var words = new FetchProblem(kind).Describe(5);
            Assert.DoesNotContain(kind.ToString(), words, StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(words));
        }
    }

    [Fact]
    public void A_412_names_every_key_with_its_cause_and_the_other_patients_resources_too()
    {
        MissingPrefetch[] missing =
        [
            new("patient", new FetchProblem(FetchFailure.CircuitOpen) { FirstAttempt = new FetchProblem(FetchFailure.TimedOut) }),
            new("encounters", new FetchProblem(FetchFailure.ServerError, 502)),
        ];

        var diagnostics = CdsHooksEndpoints.UnavailableDiagnostics(3, missing, 5);

        Assert.Contains("3 supplied resources are about another patient", diagnostics, StringComparison.Ordinal);
        Assert.Contains("patient (FHIR server calls paused after repeated failures; first attempt: timed out)", diagnostics, StringComparison.Ordinal);
        Assert.Contains("encounters (FHIR server error: HTTP 502)", diagnostics, StringComparison.Ordinal);
    }

    private static FhirServerClient Client(HttpMessageHandler handler, FhirFetchOptions options) =>
        new(new HttpClient(handler), new FhirResiliencePipelines(options, TimeProvider.System, NullLogger.Instance), options, TimeProvider.System);

    private static HttpResponseMessage Status(HttpStatusCode status) => new(status) { Content = new StringContent("") };

    private sealed class ScriptedHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answer(request));
    }
}
