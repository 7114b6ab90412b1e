using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Security;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>
/// The connect step (<see cref="FhirAddressGuard"/>) through the FHIR client's own handler, with DNS answered by the
/// test (its resolver seam) and the fake FHIR server on 127.0.0.1. Where an address stands for a host elsewhere, the
/// test's connector routes it to that listener and records every address tried: the classifier and the policy are the
/// service's own, only the network route is the test's. Nothing here reaches another machine.
/// </summary>
public sealed class FhirAddressGuardTests
{
    private const string Issuer = "https://ehr.example.org";
    private const string HostName = "fhir.hospital.test";
    private static readonly string Jwks = Security.JwtTestKeys.NewEcKey().Jwks;

    /// <summary>Stands for a public host: the connector routes it to the listener, it never leaves this machine.</summary>
    private static readonly IPAddress Public = IPAddress.Parse("8.8.8.8");

    private static readonly IPAddress[] Mixed =
    [
        IPAddress.Parse("10.0.0.7"), IPAddress.Loopback, IPAddress.Parse("169.254.169.254"), IPAddress.Parse("fd00::5"),
        IPAddress.Parse("240.0.0.9"), Public,
    ];

    [Fact]
    public async Task A_name_with_private_and_public_addresses_is_connected_on_the_public_one_only()
    {
        await using var fhir = await FakeFhirServer.StartAsync();
        var tried = new ConcurrentQueue<IPAddress>();
        using var client = Client(Options(), tried, fhir.Port);

        using var response = await client.GetAsync(new Uri($"http://{HostName}:{fhir.Port}/fhir/Patient/p1")).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([Public], tried);
        Assert.Equal(1, fhir.Hits);
    }

    // Security review s13 M3: naming a host let it connect to every address its DNS gave, loopback and metadata too.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_host_name_an_allowlist_names_may_reach_the_private_networks_but_not_loopback_or_link_local(bool inAllowedServers)
    {
        await using var fhir = await FakeFhirServer.StartAsync();
        var named = $"http://{HostName}:{fhir.Port}/fhir";
        var options = inAllowedServers ? Options(allowed: [named]) : Options(issuerServers: [named]);
        var tried = new ConcurrentQueue<IPAddress>();
        using var client = Client(options, tried, fhir.Port);

        using var response = await client.GetAsync(new Uri($"{named}/Patient/p1")).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // In the resolver's order; 10.0.0.7 and fd00::5 refuse (nothing routes them here), then the public one answers.
        Assert.Equal([IPAddress.Parse("10.0.0.7"), IPAddress.Parse("fd00::5"), Public], tried);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("0.0.0.0")]
    [InlineData("169.254.169.254")]
    [InlineData("fe80::1")]
    [InlineData("240.0.0.1")]
    [InlineData("198.18.0.1")]
    [InlineData("224.0.0.1")]
    public async Task A_named_host_name_that_resolves_only_to_a_special_address_is_refused_without_a_connection(string address)
    {
        await using var fhir = await FakeFhirServer.StartAsync();
        var named = $"http://{HostName}:{fhir.Port}/fhir";
        var tried = new ConcurrentQueue<IPAddress>();
        // 127.0.0.1 is connected for real, where the fake FHIR server listens: before s13 M3 the call reached it.
        using var client = Client(Options(allowed: [named]), tried, fhir.Port, answer: [IPAddress.Parse(address)], route: IPAddress.Loopback);

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri($"{named}/Patient/p1")).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.True(FhirAddressNotAllowedException.IsCauseOf(failure));
        Assert.Empty(tried);
        Assert.Equal(0, fhir.Hits);
    }

    [Fact]
    public async Task An_authority_named_by_its_IP_literal_is_connected_on_that_address_loopback_included()
    {
        await using var fhir = await FakeFhirServer.StartAsync();
        using var client = new HttpClient(FhirAddressGuard.CreateHandler(new FhirServerPolicy(Options(allowed: [fhir.BaseUrl])),
            (_, _) => throw new InvalidOperationException("an IP literal is not resolved")));

        using var response = await client.GetAsync(new Uri($"{fhir.BaseUrl}/Patient/p1")).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, fhir.Hits);
    }

    [Theory]
    [InlineData("Public", "8.8.8.8")]
    [InlineData("PrivateNetworks", "10.0.0.7 100.64.0.1 fd00::5 fec0::1 8.8.8.8")]
    [InlineData("NamedAddress", "10.0.0.7 100.64.0.1 127.0.0.1 169.254.169.254 fd00::5 fec0::1 fe80::1 ::1 0.0.0.0 240.0.0.1 198.18.0.1 224.0.0.1 8.8.8.8")]
    public void The_addresses_a_connection_may_be_made_to_follow_how_the_authority_was_named(string reach, string expected)
    {
        IPAddress[] all =
        [
            .. "10.0.0.7 100.64.0.1 127.0.0.1 169.254.169.254 fd00::5 fec0::1 fe80::1 ::1 0.0.0.0 240.0.0.1 198.18.0.1 224.0.0.1 8.8.8.8"
                .Split(' ').Select(IPAddress.Parse),
        ];

        Assert.Equal(expected.Split(' ').Select(IPAddress.Parse), FhirAddressGuard.Callable(all, Enum.Parse<AddressReach>(reach)));
    }

    /// <summary>The FHIR client's handler with <paramref name="answer"/> (else <see cref="Mixed"/>) as DNS's answer for
    /// <see cref="HostName"/>, and a connector that records each address tried, refuses every one but
    /// <paramref name="route"/> (else <see cref="Public"/>), and routes that one to the listener on 127.0.0.1.</summary>
    private static HttpClient Client(CdsHooksOptions options, ConcurrentQueue<IPAddress> tried, int listenerPort,
        IPAddress[]? answer = null, IPAddress? route = null) =>
        new(FhirAddressGuard.CreateHandler(new FhirServerPolicy(options),
            (host, _) => Task.FromResult(host == HostName ? answer ?? Mixed : []),
            async (endpoint, cancellationToken) =>
            {
                tried.Enqueue(endpoint.Address);
                if (!endpoint.Address.Equals(route ?? Public))
                    throw new SocketException((int)SocketError.ConnectionRefused);
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, listenerPort), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }));

    private static CdsHooksOptions Options(string[]? allowed = null, string[]? issuerServers = null)
    {
        var options = new CdsHooksOptions();
        options.Authentication.Mode = CdsAuthenticationMode.Jwt;
        options.Fhir.AllowedServers.AddRange(allowed ?? []);
        options.Authentication.Issuers.Add(new TrustedIssuerOptions { Issuer = Issuer, Jwks = Jwks, FhirServers = [.. issuerServers ?? []] });
        return options;
    }
}
