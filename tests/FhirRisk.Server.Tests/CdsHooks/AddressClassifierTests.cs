using System.Net;
using FhirRisk.Server.CdsHooks;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>Which addresses a client-named <c>fhirServer</c> may be connected to (security review: SSRF through
/// <c>fhirServer</c>): both families, each range at its edges, the IPv6 forms that carry an IPv4 address.</summary>
public sealed class AddressClassifierTests
{
    [Theory]
    // Loopback, 127/8 and ::1
    [InlineData("127.0.0.1", "Loopback")]
    [InlineData("127.255.255.255", "Loopback")]
    [InlineData("126.255.255.255", "Public")]
    [InlineData("128.0.0.0", "Public")]
    [InlineData("::1", "Loopback")]
    // Unspecified, 0/8 and ::
    [InlineData("0.0.0.0", "Unspecified")]
    [InlineData("0.255.255.255", "Unspecified")]
    [InlineData("1.0.0.0", "Public")]
    [InlineData("::", "Unspecified")]
    // RFC 1918
    [InlineData("10.0.0.0", "Private")]
    [InlineData("10.255.255.255", "Private")]
    [InlineData("9.255.255.255", "Public")]
    [InlineData("11.0.0.0", "Public")]
    [InlineData("172.16.0.0", "Private")]
    [InlineData("172.31.255.255", "Private")]
    [InlineData("172.15.255.255", "Public")]
    [InlineData("172.32.0.0", "Public")]
    [InlineData("192.168.0.0", "Private")]
    [InlineData("192.168.255.255", "Private")]
    [InlineData("192.167.255.255", "Public")]
    [InlineData("192.169.0.0", "Public")]
    // Carrier-grade NAT, 100.64/10
    [InlineData("100.64.0.0", "CarrierGradeNat")]
    [InlineData("100.127.255.255", "CarrierGradeNat")]
    [InlineData("100.63.255.255", "Public")]
    [InlineData("100.128.0.0", "Public")]
    // Link-local, 169.254/16 (the cloud metadata service) and fe80::/10
    [InlineData("169.254.169.254", "LinkLocal")]
    [InlineData("169.254.0.0", "LinkLocal")]
    [InlineData("169.254.255.255", "LinkLocal")]
    [InlineData("169.253.255.255", "Public")]
    [InlineData("169.255.0.0", "Public")]
    [InlineData("fe80::1", "LinkLocal")]
    [InlineData("febf:ffff::1", "LinkLocal")]
    [InlineData("fe7f:ffff::1", "Public")]
    // Unique local fc00::/7, and the deprecated site-local fec0::/10
    [InlineData("fc00::", "UniqueLocal")]
    [InlineData("fdff:ffff::1", "UniqueLocal")]
    [InlineData("fbff:ffff::1", "Public")]
    [InlineData("fec0::1", "UniqueLocal")]
    // Multicast, 224/4 and ff00::/8; broadcast
    [InlineData("224.0.0.0", "Multicast")]
    [InlineData("239.255.255.255", "Multicast")]
    [InlineData("223.255.255.255", "Public")]
    [InlineData("ff02::1", "Multicast")]
    [InlineData("255.255.255.255", "Broadcast")]
    // Security review s13 L8: reserved 240/4 ("Class E", pod ranges on some clouds) and benchmarking 198.18/15
    [InlineData("240.0.0.0", "Reserved")]
    [InlineData("240.0.0.1", "Reserved")]
    [InlineData("255.255.255.254", "Reserved")]
    [InlineData("198.18.0.0", "Benchmarking")]
    [InlineData("198.19.255.255", "Benchmarking")]
    [InlineData("198.17.255.255", "Public")]
    [InlineData("198.20.0.0", "Public")]
    // IPv4-mapped IPv6 of each range, and of a public address
    [InlineData("::ffff:127.0.0.1", "Loopback")]
    [InlineData("::ffff:0.0.0.0", "Unspecified")]
    [InlineData("::ffff:10.1.2.3", "Private")]
    [InlineData("::ffff:172.16.0.1", "Private")]
    [InlineData("::ffff:192.168.1.1", "Private")]
    [InlineData("::ffff:100.64.0.1", "CarrierGradeNat")]
    [InlineData("::ffff:169.254.169.254", "LinkLocal")]
    [InlineData("::ffff:224.0.0.1", "Multicast")]
    [InlineData("::ffff:255.255.255.255", "Broadcast")]
    [InlineData("::ffff:8.8.8.8", "Public")]
    // The deprecated IPv4-compatible form and the NAT64 well-known prefix carry an IPv4 address too
    [InlineData("::127.0.0.1", "Loopback")]
    [InlineData("::10.0.0.1", "Private")]
    [InlineData("64:ff9b::169.254.169.254", "LinkLocal")]
    [InlineData("64:ff9b::8.8.8.8", "Public")]
    [InlineData("::ffff:240.0.0.1", "Reserved")]
    [InlineData("::ffff:198.18.0.1", "Benchmarking")]
    // Security review s13 L8: the IPv4-translated form ::ffff:0:a.b.c.d (RFC 2765) and the local-use NAT64 prefix
    // 64:ff9b:1::/48 (RFC 8215) in its /96 form, judged by their IPv4 address; the rest of that /48 is reserved
    [InlineData("::ffff:0:127.0.0.1", "Loopback")]
    [InlineData("::ffff:0:10.0.0.1", "Private")]
    [InlineData("::ffff:0:169.254.169.254", "LinkLocal")]
    [InlineData("::ffff:0:8.8.8.8", "Public")]
    [InlineData("::fffe:0:10.0.0.1", "Public")]
    [InlineData("64:ff9b:1::127.0.0.1", "Loopback")]
    [InlineData("64:ff9b:1::10.0.0.1", "Private")]
    [InlineData("64:ff9b:1::169.254.169.254", "LinkLocal")]
    [InlineData("64:ff9b:1::8.8.8.8", "Public")]
    [InlineData("64:ff9b:1:a00:1::", "Reserved")] // 10.0.0.1 embedded at /48 (RFC 6052 §2.2)
    [InlineData("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "Reserved")]
    [InlineData("64:ff9b:2::8.8.8.8", "Public")]
    [InlineData("64:ff9b:0:1::8.8.8.8", "Public")]
    // 6to4 (RFC 3056) by the IPv4 address in bits 16-47; Teredo (RFC 4380) by its server, then its inverted client
    [InlineData("2002:7f00:1::", "Loopback")]
    [InlineData("2002:a00:1::1", "Private")]
    [InlineData("2002:a9fe:a9fe::", "LinkLocal")]
    [InlineData("2002:6440:1::", "CarrierGradeNat")]
    [InlineData("2002:808:808::1", "Public")]
    [InlineData("2001:0:4136:e378:8000:63bf:f5ff:fffe", "Private")] // server 65.54.227.120, client 10.0.0.1
    [InlineData("2001:0:4136:e378:8000:63bf:5601:5601", "LinkLocal")] // client 169.254.169.254 (a9 and fe inverted)
    [InlineData("2001:0:a00:1:8000:63bf:f7f7:f7f7", "Private")] // server 10.0.0.1, client 8.8.8.8
    [InlineData("2001:0:a00:1:8000:63bf:5601:5601", "LinkLocal")] // server 10.0.0.1, client 169.254.169.254: the stricter
    [InlineData("2001:0:4136:e378:8000:63bf:f7f7:f7f7", "Public")] // server 65.54.227.120, client 8.8.8.8
    [InlineData("2001:1::1", "Public")]
    // Public, both families
    [InlineData("8.8.8.8", "Public")]
    [InlineData("1.1.1.1", "Public")]
    [InlineData("2001:4860::8888", "Public")]
    [InlineData("2606:4700:4700::1111", "Public")]
    public void An_address_is_sorted_by_what_it_reaches(string address, string expected)
    {
        var kind = Enum.Parse<AddressKind>(expected);
        Assert.Equal(kind, AddressClassifier.Classify(IPAddress.Parse(address)));
        Assert.Equal(kind == AddressKind.Public, AddressClassifier.IsPublic(IPAddress.Parse(address)));
    }
}
