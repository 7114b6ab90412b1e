using System.Globalization;
using System.Net;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Security;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Http;

/// <summary>
/// In local-demo mode only (<c>CdsHooks:Authentication:Mode = LocalDemo</c>, a loopback listener), logs once the server
/// has started a ready-to-paste curl command: a CDS Hooks <c>patient-view</c> call for a made-up patient with its
/// prefetch, against the address the CDS Hooks endpoints were bound to (README "Quick start").
/// </summary>
internal static partial class LocalDemoCurl
{
    /// <summary>A made-up patient (no real data): an inpatient stay that started the day before.</summary>
    private const string Body = """
        {"hook":"patient-view","hookInstance":"8a1b2c3d-0000-4000-8000-000000000001",
         "context":{"userId":"Practitioner/example","patientId":"demo-1"},
         "prefetch":{"patient":{"resourceType":"Patient","id":"demo-1","gender":"female","birthDate":"1950-04-01"},
          "encounters":{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Encounter","id":"enc-1",
           "status":"in-progress","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
           "subject":{"reference":"Patient/demo-1"},"period":{"start":"2026-11-30T08:00:00Z"}}}]},
          "conditions":null,"observations":null,"medicationRequests":null,"procedures":null}}
        """;

    /// <summary>Logs the command when the server has started, if the mode and the address allow.</summary>
    public static void LogWhenStarted(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetService<CdsHooksOptions>();
        if (options?.Authentication.Mode != CdsAuthenticationMode.LocalDemo)
            return;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FhirRisk.Server.Http");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (BaseAddress(options, app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HttpListenerOptions>>().Value,
                    app.Services.GetRequiredService<HttpListenerBinding>()) is { } address)
                Command(logger, For(address));
        });
    }

    /// <summary>The command for a CDS Hooks base address (scheme, host and port).</summary>
    public static string For(Uri baseAddress)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        var url = new Uri(baseAddress, "/cds-services/" + CdsServiceCatalog.PatientRiskId);
        return $"curl -s -X POST {url} -H 'Content-Type: application/json' -d '{Body.ReplaceLineEndings(" ")}'";
    }

    /// <summary>Where the CDS Hooks endpoints answer: their own listener, else the HTTP listener; null when that is not
    /// a loopback address (the command is for this machine only) or its port cannot be known.</summary>
    private static Uri? BaseAddress(CdsHooksOptions cds, HttpListenerOptions http, HttpListenerBinding binding)
    {
        var (host, port, tls) = cds.Port is { } cdsPort ? (cds.Host, cdsPort, false) : (http.Host, binding.Port ?? 0, binding.IsTls);
        var ip = IPAddress.TryParse(host, out var parsed) ? parsed : null;
        var loopback = host == "localhost" || (ip is not null && IPAddress.IsLoopback(ip));
        if (!loopback || port == 0 || (cds.Port is null && !http.Enabled))
            return null;
        var literal = ip?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{host}]" : host;
        return new Uri(string.Create(CultureInfo.InvariantCulture, $"{(tls ? "https" : "http")}://{literal}:{port}"));
    }

    [LoggerMessage(EventId = 503, Level = LogLevel.Information, Message = "Local demo: paste this to ask for a made-up patient's risks (CDS Hooks patient-view):\n{Command}")]
    private static partial void Command(ILogger logger, string command);
}
