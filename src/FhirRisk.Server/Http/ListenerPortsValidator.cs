using System.Net;
using FhirRisk.Server.Grpc;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Http;

/// <summary>
/// Each listener needs a port of its own: <c>Http</c>, <c>Grpc</c> and, when <c>CdsHooks:Port</c> is set, CDS Hooks'. Two
/// on one port could never both bind; the second failed at start with an abort and a stack trace, after the store had
/// been created and migrated (review s11-ops #8). Checked with the <c>Http</c> section (every host has it), reading the
/// other sections with their defaults. Port 0 (a free port picked at start) never collides.
/// </summary>
internal sealed class ListenerPortsValidator(IConfiguration configuration) : IValidateOptions<HttpListenerOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpListenerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var listeners = Configured(configuration, options);
        var failures = new List<string>();
        for (var i = 0; i < listeners.Count; i++)
        {
            for (var j = i + 1; j < listeners.Count; j++)
            {
                var (a, b) = (listeners[i], listeners[j]);
                if (a.Port != 0 && a.Port == b.Port && Overlap(a.Host, b.Host))
                    failures.Add($"{a.Section}:Port and {b.Section}:Port are both {a.Port}: each listener needs a port of its own.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The listeners the settings ask for, by section (<c>Http</c>, <c>Grpc</c>, <c>CdsHooks</c>), with the
    /// host and port each binds; the <c>Http</c> section as <paramref name="http"/> has it.</summary>
    internal static List<(string Section, string Host, int Port)> Configured(IConfiguration configuration, HttpListenerOptions http)
    {
        var grpc = new GrpcServerOptions();
        configuration.GetSection(GrpcServerOptions.Section).Bind(grpc);
        var listeners = new List<(string Section, string Host, int Port)> { (GrpcServerOptions.Section, grpc.Host, grpc.Port) };
        if (http.Enabled)
            listeners.Insert(0, (HttpListenerOptions.Section, http.Host, http.Port));
        if (configuration.GetValue<int?>("CdsHooks:Port") is { } cdsPort)
            listeners.Add(("CdsHooks", configuration["CdsHooks:Host"] ?? "127.0.0.1", cdsPort));
        return listeners;
    }

    /// <summary>Whether binding both hosts on one port conflicts: the same host, either one every interface, or
    /// <c>localhost</c> (both loopback addresses) beside a loopback address.</summary>
    internal static bool Overlap(string a, string b) =>
        string.Equals(a, b, StringComparison.OrdinalIgnoreCase) || IsAnyAddress(a) || IsAnyAddress(b)
        || (a == "localhost" && HttpListenerOptions.IsLoopback(b)) || (b == "localhost" && HttpListenerOptions.IsLoopback(a));

    private static bool IsAnyAddress(string host) =>
        IPAddress.TryParse(host, out var address) && (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any));
}
