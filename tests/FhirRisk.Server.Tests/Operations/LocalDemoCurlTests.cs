using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FhirRisk.Server.Tests.Infrastructure;

namespace FhirRisk.Server.Tests.Operations;

/// <summary>The curl command the server prints in local-demo mode works as printed.</summary>
public sealed partial class LocalDemoCurlTests
{
    [Fact]
    public async Task In_local_demo_mode_the_printed_patient_view_call_answers_with_cards()
    {
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:Authentication:Mode"] = "LocalDemo",
        }, cdsHooks: true);
        await server.WaitUntilReadyAsync();

        var command = Assert.Single(server.Logs.Entries, e => e.EventId == 503).Message;
        var curl = Curl().Match(command);
        Assert.True(curl.Success, command);
        var url = new Uri(curl.Groups[1].Value);
        Assert.Equal($"http://127.0.0.1:{server.HttpPort}/cds-services/fhirrisk-patient-risk", url.ToString());
        using var response = await server.Http.PostAsync(url, new StringContent(curl.Groups[2].Value, Encoding.UTF8, "application/json"));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(0, body.RootElement.GetProperty("cards").GetArrayLength());
    }

    [Fact]
    public async Task Outside_local_demo_mode_nothing_is_printed()
    {
        await using var server = await TestFhirRiskServer.StartAsync(
            new Dictionary<string, string?> { ["CdsHooks:Authentication:Audience"] = "https://cds.example.org" }, cdsHooks: true);

        Assert.DoesNotContain(server.Logs.Entries, e => e.EventId == 503);
    }

    [GeneratedRegex(@"curl -s -X POST (\S+) -H 'Content-Type: application/json' -d '([^']*)'$")]
    private static partial Regex Curl();
}
