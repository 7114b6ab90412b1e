using System.Net;
using System.Text;
using FhirRisk.Server.Tests.Infrastructure;

namespace FhirRisk.Server.Tests.Operations;

/// <summary>
/// Each surface answers on its own listener only (service review s10 #3): the gRPC port used to serve CDS Hooks
/// discovery and calls, FHIR push and the health probes over h2c, so securing the HTTP port left them open there.
/// </summary>
public sealed class ListenerBoundaryTests
{
    [Fact]
    public async Task The_gRPC_port_answers_no_CDS_Hooks_FHIR_push_or_health_probe_and_the_HTTP_port_still_does()
    {
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?> { ["CdsHooks:Authentication:Mode"] = "LocalDemo" },
            cdsHooks: true);
        using var h2c = new HttpClient
        {
            BaseAddress = new Uri($"http://{server.GrpcAddress}"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TestFhirRiskServer.Timeout,
        };
        const string EmptyBatch = """{"resourceType":"Bundle","type":"batch","entry":[]}""";

        foreach (var path in new[] { "/cds-services", "/health/live", "/health/ready" })
        {
            using var onGrpc = await h2c.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, onGrpc.StatusCode);
        }
        using (var push = await h2c.PostAsync("/fhir", new StringContent(EmptyBatch, Encoding.UTF8, "application/fhir+json")))
            Assert.Equal(HttpStatusCode.NotFound, push.StatusCode);

        using (var discovery = await server.Http.GetAsync("/cds-services"))
            Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        using (var live = await server.Http.GetAsync("/health/live"))
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using (var push = await server.PostAsync("/fhir", EmptyBatch))
            Assert.Equal(HttpStatusCode.OK, push.StatusCode);
        // Metrics answer on the HTTP listener only (security review s12 #13; docs/operations.md).
        using (var metrics = await h2c.GetAsync("/metrics"))
            Assert.Equal(HttpStatusCode.NotFound, metrics.StatusCode);
        using (var metrics = await server.Http.GetAsync("/metrics"))
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }
}
