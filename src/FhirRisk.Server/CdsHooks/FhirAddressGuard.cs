using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;

namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// The FHIR client's connect step (<see cref="SocketsHttpHandler.ConnectCallback"/>; security review: SSRF through
/// <c>fhirServer</c>): resolves the host and connects only to a public address (<see cref="AddressClassifier"/>) —
/// never to this machine, the cluster's or hospital's private networks or the cloud metadata service. An authority the
/// operator named (<see cref="FhirServerPolicy.ReachOf"/>) may also reach the private networks when named by a host
/// name, and its one address when named by an IP literal; loopback, link-local and the other special addresses a name
/// resolves to stay refused (security review s13 M3). The check is made here, on the very addresses the socket connects
/// to: a check made before the request would resolve the name once and connect after a second resolution, which a
/// short-lived DNS answer can point elsewhere (DNS rebinding).
/// </summary>
/// <param name="policy">Which authorities the operator named.</param>
/// <param name="resolve">The host's addresses; <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>
/// unless a test answers for DNS.</param>
/// <param name="connect">Opens the connection to one address; a TCP socket unless a test routes it.</param>
internal sealed class FhirAddressGuard(
    FhirServerPolicy policy,
    Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null,
    Func<IPEndPoint, CancellationToken, Task<Stream>>? connect = null)
{
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolve ?? Dns.GetHostAddressesAsync;
    private readonly Func<IPEndPoint, CancellationToken, Task<Stream>> _connect = connect ?? ConnectSocketAsync;

    /// <summary>
    /// The FHIR client's primary handler. Redirects are not followed (security review s12 #2): a hop would leave the
    /// <c>fhirServer</c> the allowlists checked, for any host. With the address check on (<see
    /// cref="FhirServerPolicy.ChecksAddresses"/>) every connection goes through <see cref="ConnectAsync"/>, and never
    /// through an HTTP proxy (<c>HTTPS_PROXY</c>, <c>HTTP_PROXY</c>): the check would then see only the proxy's address,
    /// and a proxy's connection for plain-http targets is shared by every host it forwards to.
    /// </summary>
    /// <param name="policy">The allowlists and whether addresses are checked.</param>
    /// <param name="resolve">For tests: answers for DNS (<see cref="FhirAddressGuard"/>).</param>
    /// <param name="connect">For tests: opens the connection to an address.</param>
    public static SocketsHttpHandler CreateHandler(FhirServerPolicy policy,
        Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null, Func<IPEndPoint, CancellationToken, Task<Stream>>? connect = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy.ChecksAddresses
            ? new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false, ConnectCallback = new FhirAddressGuard(policy, resolve, connect).ConnectAsync }
            : new SocketsHttpHandler { AllowAutoRedirect = false };
    }

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var endpoint = context.DnsEndPoint;
        // An IPv6 literal comes bracketed ("[::1]"), which the resolver does not take; IPAddress parses both.
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await _resolve(endpoint.Host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
            throw new SocketException((int)SocketError.HostNotFound);
        // Connections are pooled per authority and serve every later call to it, so the decision rests on the
        // authority alone, never on the call (or issuer) that happens to open the connection.
        var reach = context.InitialRequestMessage.RequestUri is { } url ? policy.ReachOf(url) : AddressReach.Public;
        var callable = Callable(addresses, reach);
        if (callable.Length == 0)
            throw new FhirAddressNotAllowedException();
        // Each callable address in turn, as the handler's own connect tries each address of a name: a host whose
        // IPv6 address does not answer is still reached on its IPv4 one.
        ExceptionDispatchInfo? failure = null;
        foreach (var address in callable)
        {
            try
            {
                return await _connect(new IPEndPoint(address, endpoint.Port), cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }
        failure!.Throw();
        return null!; // not reached: Throw does not return
    }

    /// <summary>The addresses a connection may be made to, in the resolver's order: the public ones, the private
    /// networks' too when the operator named the authority by a host name, all of them (its one literal) when named by
    /// an IP address.</summary>
    internal static IPAddress[] Callable(IReadOnlyList<IPAddress> addresses, AddressReach reach) => reach switch
    {
        AddressReach.NamedAddress => [.. addresses],
        AddressReach.PrivateNetworks => [.. addresses.Where(a => AddressClassifier.Classify(a) is var kind
            && (kind == AddressKind.Public || AddressClassifier.IsPrivateNetwork(kind)))],
        _ => [.. addresses.Where(AddressClassifier.IsPublic)],
    };

    private static async Task<Stream> ConnectSocketAsync(IPEndPoint address, CancellationToken cancellationToken)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>The <c>fhirServer</c>'s host has no address the service calls (<see cref="FhirAddressGuard"/>). The
/// handler wraps it in an <see cref="HttpRequestException"/>; <see cref="IsCauseOf"/> finds it there. Not transient:
/// never retried, never counted by the circuit breaker.</summary>
internal sealed class FhirAddressNotAllowedException()
    : Exception("the FHIR server's host resolves only to addresses this service does not call (private, loopback, link-local or reserved)")
{
    public static bool IsCauseOf(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is FhirAddressNotAllowedException)
                return true;
        }
        return false;
    }
}
