using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Timeline;
using FhirRisk.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.Timeline;

/// <summary>
/// <c>DELETE /fhir/Patient/{id}</c> and <c>TimelineStore:RetentionDays</c> through the whole server on 127.0.0.1 with a
/// real SQLite store (docs/timeline-store.md "Erasure and retention", review phi.md #3).
/// </summary>
public sealed class ErasureAndRetentionTests
{
    private const string Token = "erasure-client-token";
    private const string PatientId = "zqx-erase-4471";
    private static readonly TimeSpan Timeout = TestFhirRiskServer.Timeout;

    [Fact]
    public async Task Deleting_a_patient_needs_the_service_token_and_removes_its_resources_logging_counts_only()
    {
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["ServiceAuthentication:Mode"] = "Tokens",
            ["ServiceAuthentication:Clients:0:Name"] = "ehr",
            ["ServiceAuthentication:Clients:0:TokenSha256"] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Token))).ToLowerInvariant(),
        });
        await server.WaitUntilReadyAsync();
        await server.Store.WriteAsync([TimelineStoreContract.Unlinked("Claim", "claim1", $$$"""{"patient":{"reference":"Patient/{{{PatientId}}}"}}""")]);
        using (var push = await SendAsync(server, HttpMethod.Post, "/fhir", TestBundles.Patient(PatientId).ToJsonString(), Token))
            Assert.Equal(HttpStatusCode.OK, push.StatusCode);

        using var refused = await SendAsync(server, HttpMethod.Delete, $"/fhir/Patient/{PatientId}", body: null, token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(9, (await server.Store.ReadPatientAsync(PatientId)).Count);

        using var erased = await SendAsync(server, HttpMethod.Delete, $"/fhir/Patient/{PatientId}", body: null, Token);

        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        var outcome = JsonNode.Parse(await erased.Content.ReadAsStringAsync())!;
        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
        Assert.Equal("PUSH101", outcome["issue"]![0]!["details"]!["coding"]![0]!["code"]!.GetValue<string>());
        Assert.Empty(await server.Store.ReadPatientAsync(PatientId));
        Assert.Null(await server.Store.ReadAsync("Claim", "claim1"));
        Assert.Contains(server.Logs.Entries, e => e.EventId == 312 && e.Message.Contains("9 resources", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains(PatientId, StringComparison.Ordinal));

        using var badId = await SendAsync(server, HttpMethod.Delete, "/fhir/Patient/not_an_id!", body: null, Token);
        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
        Assert.Contains("PUSH006", await badId.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public void Retention_is_off_by_default()
    {
        Assert.Equal(0, new TimelineStoreOptions().RetentionDays);
    }

    [Fact]
    public async Task Retention_sweeps_at_start_and_logs_counts_only()
    {
        using var folder = new TempDirectory("fhirrisk-retention");
        var path = folder.File("store", "timeline.db");
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using (var before = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?> { ["TimelineStore:SqlitePath"] = path },
            services => services.AddSingleton<TimeProvider>(clock)))
        {
            await before.WaitUntilReadyAsync();
            await before.Store.WriteAsync([TimelineStoreContract.Patient("old-p"), TimelineStoreContract.Observation("old-o", "old-p", 1)]);
            clock.Advance(TimeSpan.FromDays(20));
            await before.Store.WriteAsync([TimelineStoreContract.Patient("recent-p")]);
            Assert.False(before.Logs.Has(313), "retention is off unless configured");
        }
        clock.Advance(TimeSpan.FromDays(15));

        await using var server = await TestFhirRiskServer.StartAsync(
            new Dictionary<string, string?> { ["TimelineStore:SqlitePath"] = path, ["TimelineStore:RetentionDays"] = "30" },
            services => services.AddSingleton<TimeProvider>(clock));

        using var timeout = new CancellationTokenSource(Timeout);
        while (!server.Logs.Has(313))
            await Task.Delay(50, timeout.Token);
        Assert.Empty(await server.Store.ReadPatientAsync("old-p"));
        Assert.Single(await server.Store.ReadPatientAsync("recent-p"));
        Assert.Contains(server.Logs.Entries, e => e.EventId == 313 && e.Message.Contains("removed 1 patients (2 resources)", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains("old-p", StringComparison.Ordinal));
    }

    private static async Task<HttpResponseMessage> SendAsync(TestFhirRiskServer server, HttpMethod method, string path, string? body, string? token)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
        }
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await server.Http.SendAsync(request).WaitAsync(Timeout);
    }
}
