using System.Net;
using System.Net.Sockets;

namespace FhirRisk.Server.CdsHooks;

/// <summary>What an IP address reaches, as far as a call from this service to a client-named FHIR server goes.</summary>
internal enum AddressKind
{
    /// <summary>Any address not listed below: a host on the internet.</summary>
    Public,

    /// <summary>127.0.0.0/8, <c>::1</c>: this machine, its admin ports and sidecars.</summary>
    Loopback,

    /// <summary>0.0.0.0/8, <c>::</c>: "this host"; Linux connects 0.0.0.0 to the local machine.</summary>
    Unspecified,

    /// <summary>RFC 1918: 10/8, 172.16/12, 192.168/16.</summary>
    Private,

    /// <summary>RFC 6598 shared address space, 100.64/10: carrier-grade NAT, and some clouds' internal networks.</summary>
    CarrierGradeNat,

    /// <summary>169.254/16 (the cloud metadata service at 169.254.169.254), fe80::/10.</summary>
    LinkLocal,

    /// <summary>fc00::/7 (RFC 4193), and the deprecated site-local fec0::/10 (RFC 3879) that some networks still use.</summary>
    UniqueLocal,

    /// <summary>224/4, ff00::/8.</summary>
    Multicast,

    /// <summary>255.255.255.255.</summary>
    Broadcast,

    /// <summary>240.0.0.0/4 ("Class E", reserved; some clouds number pods from it), and the addresses of the local-use
    /// NAT64 prefix 64:ff9b:1::/48 outside its /96 form, whose IPv4 address this service cannot read (RFC 8215).</summary>
    Reserved,

    /// <summary>198.18.0.0/15, the benchmarking range (RFC 2544), which some networks use internally.</summary>
    Benchmarking,
}

/// <summary>
/// Sorts an IP address into <see cref="AddressKind"/> (security review: SSRF through <c>fhirServer</c>). Pure: no DNS,
/// no configuration. An IPv6 address that carries an IPv4 one — mapped (<c>::ffff:a.b.c.d</c>, RFC 4291 §2.5.5.2),
/// IPv4-translated (<c>::ffff:0:a.b.c.d</c>, RFC 2765 §2.1), the deprecated compatible form (<c>::a.b.c.d</c>,
/// §2.5.5.1), the NAT64 well-known prefix (<c>64:ff9b::/96</c>, RFC 6052) and the local-use NAT64 prefix in its /96
/// form (<c>64:ff9b:1::/96</c>, RFC 8215) — is judged as that IPv4 address: a socket or a translator connects it there.
/// The rest of 64:ff9b:1::/48 is <see cref="AddressKind.Reserved"/>: a translator may embed its IPv4 address at any of
/// RFC 6052's prefix lengths, and which one is not visible in the address. 6to4 (<c>2002::/16</c>, RFC 3056) is judged
/// as the IPv4 address in its bits 16–47, and Teredo (<c>2001:0::/32</c>, RFC 4380) as the stricter of its server (bits
/// 32–63) and client (the last 32 bits, inverted): both are deprecated, but a host with a 6to4 interface or a Teredo
/// client delivers them to that IPv4 address, so on such a host <c>2002:a9fe:a9fe::</c> would reach 169.254.169.254.
/// </summary>
internal static class AddressClassifier
{
    public static bool IsPublic(IPAddress address) => Classify(address) == AddressKind.Public;

    /// <summary>The kinds a connection may reach when the operator named the authority by a host name (security review
    /// s13 M3): the private networks a hospital's FHIR server may be on — RFC 1918, carrier-grade NAT, unique-local and
    /// site-local — besides public addresses. Never loopback, unspecified, link-local (the metadata service), multicast,
    /// broadcast, reserved or benchmarking: the name's DNS, not the operator, decides what it resolves to.</summary>
    public static bool IsPrivateNetwork(AddressKind kind) =>
        kind is AddressKind.Private or AddressKind.CarrierGradeNat or AddressKind.UniqueLocal;

    public static AddressKind Classify(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var length))
            throw new ArgumentException("an IP address has at most 16 bytes", nameof(address));
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => ClassifyV4(bytes[..length]),
            AddressFamily.InterNetworkV6 => ClassifyV6(bytes[..length]),
            _ => throw new ArgumentException($"not an IP address family: {address.AddressFamily}", nameof(address)),
        };
    }

    private static AddressKind ClassifyV4(ReadOnlySpan<byte> a) => a switch
    {
        [0, ..] => AddressKind.Unspecified,
        [127, ..] => AddressKind.Loopback,
        [10, ..] => AddressKind.Private,
        [172, >= 16 and <= 31, ..] => AddressKind.Private,
        [192, 168, ..] => AddressKind.Private,
        [100, >= 64 and <= 127, ..] => AddressKind.CarrierGradeNat,
        [169, 254, ..] => AddressKind.LinkLocal,
        [198, 18 or 19, ..] => AddressKind.Benchmarking,
        [>= 224 and <= 239, ..] => AddressKind.Multicast,
        [255, 255, 255, 255] => AddressKind.Broadcast,
        [>= 240, ..] => AddressKind.Reserved,
        _ => AddressKind.Public,
    };

    private static AddressKind ClassifyV6(ReadOnlySpan<byte> a)
    {
        if (a[..10].IndexOfAnyExcept((byte)0) < 0)
        {
            if (a[10] == 0xff && a[11] == 0xff)
                return ClassifyV4(a[12..]); // ::ffff:a.b.c.d
            if (a[10] == 0 && a[11] == 0)
            {
                if (a[12..15].IndexOfAnyExcept((byte)0) < 0 && a[15] <= 1)
                    return a[15] == 0 ? AddressKind.Unspecified : AddressKind.Loopback; // ::, ::1
                return ClassifyV4(a[12..]); // ::a.b.c.d
            }
        }
        if (a[..8].IndexOfAnyExcept((byte)0) < 0 && a[8] == 0xff && a[9] == 0xff && a[10] == 0 && a[11] == 0)
            return ClassifyV4(a[12..]); // ::ffff:0:a.b.c.d
        if (a[..12].SequenceEqual(Nat64WellKnownPrefix))
            return ClassifyV4(a[12..]);
        if (a[..6].SequenceEqual(Nat64LocalUsePrefix))
            return a[6..12].IndexOfAnyExcept((byte)0) < 0 ? ClassifyV4(a[12..]) : AddressKind.Reserved;
        if (a[0] == 0x20 && a[1] == 0x02)
            return ClassifyV4(a[2..6]); // 6to4
        if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0)
        {
            // Teredo: the server's address as written, the client's with every bit inverted.
            Span<byte> client = stackalloc byte[4];
            for (var i = 0; i < 4; i++)
                client[i] = (byte)~a[12 + i];
            return Stricter(ClassifyV4(a[4..8]), ClassifyV4(client));
        }
        return a switch
        {
            [0xff, ..] => AddressKind.Multicast,
            [0xfe, >= 0x80 and <= 0xbf, ..] => AddressKind.LinkLocal,
            [0xfe, >= 0xc0, ..] => AddressKind.UniqueLocal,
            [0xfc or 0xfd, ..] => AddressKind.UniqueLocal,
            _ => AddressKind.Public,
        };
    }

    /// <summary>Of two kinds, the one fewer callers may reach: public, then the private networks a named host may reach
    /// (<see cref="IsPrivateNetwork"/>), then the rest; the first of two alike.</summary>
    private static AddressKind Stricter(AddressKind a, AddressKind b)
    {
        static int Rank(AddressKind kind) => kind == AddressKind.Public ? 0 : IsPrivateNetwork(kind) ? 1 : 2;
        return Rank(b) > Rank(a) ? b : a;
    }

    /// <summary>64:ff9b::/96, whose last 32 bits are the IPv4 address a NAT64 translator connects to.</summary>
    private static ReadOnlySpan<byte> Nat64WellKnownPrefix => [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>64:ff9b:1::/48, the local-use NAT64 prefix (RFC 8215).</summary>
    private static ReadOnlySpan<byte> Nat64LocalUsePrefix => [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01];
}
