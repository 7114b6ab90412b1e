using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections;

namespace FhirRisk.Server.Http;

/// <summary>
/// A listener port that another process holds. Kestrel finds it only when it binds, the last step of the start, and
/// throws an <see cref="IOException"/> around <see cref="AddressInUseException"/> whose message names the address
/// (<c>Failed to bind to address http://127.0.0.1:8080: address already in use.</c>) but not the setting behind it; this
/// adds the listener, its port and the key to change. The host's own log event for the same failure, with its stack
/// trace, is left out by <see cref="PortInUseLogFilter"/>: the server reports it once, in one line (docs/operations.md).
/// </summary>
internal static partial class ListenerPortInUse
{
    /// <summary>Whether <paramref name="exception"/> is a port in use, or several (one per listener), and nothing else.</summary>
    public static bool Is(Exception? exception) => exception switch
    {
        IOException { InnerException: AddressInUseException } => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(Is),
        _ => false,
    };

    /// <summary>
    /// <c>cannot listen: Failed to bind to address http://127.0.0.1:8080: address already in use. Port 8080 of the HTTP
    /// listener (Http:Port) is held by another process: stop that process, or set Http:Port to a free port.</c> Without
    /// <paramref name="configuration"/>, or when no configured listener has the port, the hint names every port key.
    /// </summary>
    public static string Describe(IOException exception, IConfiguration? configuration)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var failure = LogText.Of(exception.Message, maxLength: 1000);
        return Listener(exception.Message, configuration) is var (section, port)
            ? $"cannot listen: {failure} Port {port} of the {DisplayName(section)} listener ({section}:Port) is held by another process: stop that process, or set {section}:Port to a free port."
            : $"cannot listen: {failure} Free the port, or choose another with Http:Port, Grpc:Port or CdsHooks:Port.";
    }

    /// <summary>The configured listener Kestrel failed to bind: the one with the address's port (each listener has a port
    /// of its own on overlapping hosts, <see cref="ListenerPortsValidator"/>), on a host that overlaps the address's.</summary>
    private static (string Section, int Port)? Listener(string message, IConfiguration? configuration)
    {
        if (configuration is null || AddressPattern().Match(message) is not { Success: true } match
            || !Uri.TryCreate(match.Groups["address"].Value, UriKind.Absolute, out var address))
            return null;
        try
        {
            var http = new HttpListenerOptions();
            configuration.GetSection(HttpListenerOptions.Section).Bind(http);
            var host = address.Host.Trim('[', ']');
            var candidates = ListenerPortsValidator.Configured(configuration, http).Where(l => l.Port == address.Port).ToList();
            var listener = candidates.Count == 1 ? candidates[0] : candidates.FirstOrDefault(l => Overlaps(l.Host, host));
            return listener.Section is null ? null : (listener.Section, address.Port);
        }
        catch (InvalidOperationException)
        {
            return null; // a value the binder cannot convert: the start would have failed on it before binding
        }
    }

    private static bool Overlaps(string listenerHost, string addressHost) =>
        ListenerPortsValidator.Overlap(listenerHost, addressHost)
        || (IPAddress.TryParse(listenerHost, out var a) && IPAddress.TryParse(addressHost, out var b) && a.Equals(b));

    private static string DisplayName(string section) => section switch
    {
        HttpListenerOptions.Section => "HTTP",
        Grpc.GrpcServerOptions.Section => "gRPC",
        _ => "CDS Hooks",
    };

    [GeneratedRegex(@"^Failed to bind to address (?<address>\S+): address already in use\.", RegexOptions.CultureInvariant)]
    private static partial Regex AddressPattern();
}
