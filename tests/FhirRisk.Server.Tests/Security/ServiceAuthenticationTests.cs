using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using FhirRisk.Grpc.V1;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Security;
using FhirRisk.Server.Tests.Infrastructure;
using Grpc.Health.V1;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Tests.Security;

/// <summary>FHIR push and the gRPC RiskService read and write stored patients: only configured clients may call them.</summary>
public sealed class ServiceAuthenticationTests
{
    private const string Token = "s3cret-pipeline-token";

    private static readonly PredictRequest Predict = new() { Patient = new PatientInput { Stored = new StoredPatient { PatientId = "p1" } } };

    [Fact]
    public void Authentication_is_on_by_default()
    {
        Assert.Equal(ServiceAuthenticationMode.Tokens, new ServiceAuthenticationOptions().Mode);
    }

    [Fact]
    public async Task A_push_without_a_configured_token_is_401_with_an_OperationOutcome_and_nothing_is_stored()
    {
        await using var server = await StartAsync();

        foreach (var authorization in new[] { null, "Bearer wrong-token", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Token)), "Bearer " })
        {
            using var response = await PushAsync(server, authorization);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
            var outcome = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
            Assert.Contains("PUSH012", outcome.ToJsonString(), StringComparison.Ordinal);
            Assert.Equal("login", outcome["issue"]![0]!["code"]!.GetValue<string>()); // FHIR's IssueType for it (review s21 L14)
        }
        Assert.Empty(await server.Store.ReadPatientAsync("p1"));
        Assert.True(server.Logs.Has(306), "a refused token should be logged (event 306)");
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains(Token, StringComparison.Ordinal) || e.Message.Contains("wrong-token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_push_with_a_configured_token_is_stored()
    {
        await using var server = await StartAsync();

        using var response = await PushAsync(server, "Bearer " + Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEmpty(await server.Store.ReadPatientAsync("p1"));
    }

    [Fact]
    public async Task RiskService_calls_need_the_token_but_the_health_service_does_not()
    {
        await using var server = await StartAsync();
        using var client = new RawGrpcClient(new Uri($"http://{server.GrpcAddress}"));

        var refused = await client.PostAsync("/fhirrisk.v1.RiskService/Predict", RawGrpcClient.Frame(Predict));
        var wrong = await client.PostAsync("/fhirrisk.v1.RiskService/Predict", RawGrpcClient.Frame(Predict),
            r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "wrong-token"));
        var allowed = await client.PostAsync("/fhirrisk.v1.RiskService/Predict", RawGrpcClient.Frame(Predict),
            r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token));
        var health = await client.PostAsync("/grpc.health.v1.Health/Check", RawGrpcClient.Frame(new HealthCheckRequest()));

        Assert.Equal((int)GrpcStatusCode.Unauthenticated, refused.GrpcStatus);
        Assert.True(refused.IsTrailersOnly);
        Assert.Equal((int)GrpcStatusCode.Unauthenticated, wrong.GrpcStatus);
        Assert.NotEqual((int)GrpcStatusCode.Unauthenticated, allowed.GrpcStatus); // the stored patient is unknown: NOT_FOUND
        Assert.Equal((int)GrpcStatusCode.NotFound, allowed.GrpcStatus);
        Assert.Equal((int)GrpcStatusCode.Ok, health.GrpcStatus);
    }

    [Fact]
    public async Task LocalDemo_turns_authentication_off_with_a_warning()
    {
        await using var server = await StartAsync(new Dictionary<string, string?>()); // the test server's default is LocalDemo

        using var response = await PushAsync(server, authorization: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(server.Logs.Has(307), "LocalDemo should warn at start (event 307)");
    }

    [Fact]
    public async Task No_configured_client_refuses_every_call_and_says_so_at_start()
    {
        await using var server = await StartAsync(new Dictionary<string, string?> { ["ServiceAuthentication:Mode"] = "Tokens" });

        using var response = await PushAsync(server, "Bearer " + Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.True(server.Logs.Has(308), "no client: the start should warn (event 308)");
    }

    [Theory]
    [InlineData("ServiceAuthentication:Mode", "LocalDemo", "Http:Host", "0.0.0.0")]
    [InlineData("ServiceAuthentication:Mode", "LocalDemo", "Grpc:Host", "0.0.0.0")]
    [InlineData("ServiceAuthentication:Clients:0:Name", "etl", "ServiceAuthentication:Clients:0:TokenSha256", "not-a-hash")]
    [InlineData("ServiceAuthentication:Clients:0:Name", "", "ServiceAuthentication:Clients:0:TokenSha256", "0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task Settings_the_service_cannot_run_with_stop_it_at_start(string key, string value, string key2, string value2)
    {
        var settings = new Dictionary<string, string?> { [key] = value, [key2] = value2 };

        await Assert.ThrowsAsync<OptionsValidationException>(() => TestFhirRiskServer.StartAsync(settings));
    }

    // Security review s12 #8: every client could do everything.
    [Fact]
    public async Task A_client_may_do_only_what_its_scopes_say()
    {
        const string ReaderToken = "analytics-read-token";
        await using var server = await StartAsync(new Dictionary<string, string?>
        {
            ["ServiceAuthentication:Mode"] = "Tokens",
            ["ServiceAuthentication:Clients:0:Name"] = "fhir-server",
            ["ServiceAuthentication:Clients:0:TokenSha256"] = Sha256(Token),
            ["ServiceAuthentication:Clients:0:Scopes:0"] = "write",
            ["ServiceAuthentication:Clients:1:Name"] = "analytics",
            ["ServiceAuthentication:Clients:1:TokenSha256"] = Sha256(ReaderToken),
            ["ServiceAuthentication:Clients:1:Scopes:0"] = "read",
        });
        using var grpc = new RawGrpcClient(new Uri($"http://{server.GrpcAddress}"));
        Task<RawGrpcResponse> CallAsync(string method, Google.Protobuf.IMessage message, string token) =>
            grpc.PostAsync($"/fhirrisk.v1.RiskService/{method}", RawGrpcClient.Frame(message), r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));

        // The pushing FHIR server writes, and may neither read through the model nor erase.
        using (var pushed = await PushAsync(server, "Bearer " + Token))
            Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
        Assert.Equal((int)GrpcStatusCode.PermissionDenied, (await CallAsync("Predict", Predict, Token)).GrpcStatus);
        using (var erase = await EraseAsync(server, Token))
        {
            Assert.Equal(HttpStatusCode.Forbidden, erase.StatusCode);
            var refusal = JsonNode.Parse(await erase.Content.ReadAsStringAsync())!;
            Assert.Contains("PUSH017", refusal.ToJsonString(), StringComparison.Ordinal);
            Assert.Equal("forbidden", refusal["issue"]![0]!["code"]!.GetValue<string>());
        }
        Assert.NotEmpty(await server.Store.ReadPatientAsync("p1"));

        // The analytics client reads, and may neither write nor erase.
        Assert.Equal((int)GrpcStatusCode.Ok, (await CallAsync("Predict", Predict, ReaderToken)).GrpcStatus);
        // A request that is no gRPC request is refused 415 before any token is asked for, not "200" with a gRPC status
        // a non-gRPC client would read as success (review s21-grpc L3).
        var plain = await grpc.PostAsync("/fhirrisk.v1.RiskService/Predict", RawGrpcClient.Frame(Predict), contentType: "text/plain");
        Assert.Equal((HttpStatusCode.UnsupportedMediaType, (int?)null), (plain.HttpStatus, plain.GrpcStatus));
        // The same for Ingest, refused before the ingest limiter could queue it as a push (review s21-fixes M2), and an
        // unknown path is 404 as without a token.
        var ingest = await grpc.PostAsync("/fhirrisk.v1.RiskService/Ingest", [], contentType: "text/plain");
        Assert.Equal((HttpStatusCode.UnsupportedMediaType, (int?)null), (ingest.HttpStatus, ingest.GrpcStatus));
        var unknown = await grpc.PostAsync("/no.such.Service/Method", [], contentType: "text/plain");
        Assert.Equal((HttpStatusCode.NotFound, (int?)null), (unknown.HttpStatus, unknown.GrpcStatus));
        Assert.Equal((int)GrpcStatusCode.PermissionDenied, (await CallAsync("Ingest", new IngestRequest(), ReaderToken)).GrpcStatus);
        using (var push = await PushAsync(server, "Bearer " + ReaderToken))
            Assert.Equal(HttpStatusCode.Forbidden, push.StatusCode);
        using (var erase = await EraseAsync(server, ReaderToken))
            Assert.Equal(HttpStatusCode.Forbidden, erase.StatusCode);
        Assert.NotEmpty(await server.Store.ReadPatientAsync("p1"));
        Assert.True(server.Logs.Has(317), "a refused scope should be logged (event 317)");
        Assert.False(server.Logs.Has(318), "every client has scopes: no warning 318");
    }

    [Fact]
    public async Task A_client_without_scopes_may_do_everything_and_the_start_says_so()
    {
        await using var server = await StartAsync();

        using (var pushed = await PushAsync(server, "Bearer " + Token))
            Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
        using (var erased = await EraseAsync(server, Token))
            Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        Assert.True(server.Logs.Has(318), "a client without scopes should be named at start (event 318)");
    }

    [Fact]
    public async Task An_unknown_scope_stops_the_start()
    {
        await Assert.ThrowsAsync<OptionsValidationException>(() => TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["ServiceAuthentication:Mode"] = "Tokens",
            ["ServiceAuthentication:Clients:0:Name"] = "etl",
            ["ServiceAuthentication:Clients:0:TokenSha256"] = Sha256(Token),
            ["ServiceAuthentication:Clients:0:Scopes:0"] = "admin",
        }));
    }

    private static string Sha256(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token))).ToLowerInvariant();

    private static async Task<HttpResponseMessage> EraseAsync(TestFhirRiskServer server, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, "/fhir/Patient/p1");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await server.Http.SendAsync(request);
    }

    private static async Task<TestFhirRiskServer> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var server = await TestFhirRiskServer.StartAsync(settings ?? new Dictionary<string, string?>
        {
            ["ServiceAuthentication:Mode"] = "Tokens",
            ["ServiceAuthentication:Clients:0:Name"] = "etl",
            ["ServiceAuthentication:Clients:0:TokenSha256"] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Token))).ToLowerInvariant(),
        });
        await server.WaitUntilReadyAsync();
        return server;
    }

    private static async Task<HttpResponseMessage> PushAsync(TestFhirRiskServer server, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/fhir")
        {
            Content = new StringContent(TestBundles.Patient("p1").ToJsonString(), Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
        if (authorization is not null)
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return await server.Http.SendAsync(request);
    }
}
