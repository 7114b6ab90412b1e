using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using FhirRisk.Server.Security;

namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// Card uuids that say whom they were issued to (review s24-cds L5): each is an RFC 9562 version 8 UUID whose first
/// 80 bits are random but for the version and variant bits (74 random bits: a repeat among a billion cards has odds of
/// about 1 in 40,000) and whose last 48 bits are a keyed hash (HMAC-SHA256, <c>CdsHooks:CardUuidKey</c>) of those 80
/// bits, the CDS Service and the calling client (issuer and tenant). Feedback on a card is
/// then checked without keeping any list of issued cards: <see cref="WasIssued"/> holds only for a uuid this service
/// issued, under the same key, for the service the feedback is posted to and the client posting it. Nothing about the
/// patient or the risk enters the uuid. Without a configured key each process draws its own, so feedback on cards a
/// restarted or another replica issued reads as not issued: set one key on every replica to keep the check across them
/// (warning 216 at start when authentication is on and no key is set). The tenant is part of the client: feedback sent
/// with another <c>tenant</c> claim than the call's (or without one) reads as not issued.
/// </summary>
internal sealed class CardUuids
{
    /// <summary>The uuid's random part, version and variant bits included; the rest is the tag.</summary>
    private const int RandomBytes = 10;

    /// <summary>Fewest bytes of a configured key.</summary>
    internal const int MinKeyBytes = 32;

    private readonly byte[] _key;

    /// <param name="key">The HMAC key (at least <see cref="MinKeyBytes"/> bytes); null draws one for this process.</param>
    public CardUuids(byte[]? key = null)
    {
        if (key is not null && key.Length < MinKeyBytes)
            throw new ArgumentException($"a card uuid key needs at least {MinKeyBytes} bytes", nameof(key));
        _key = key ?? RandomNumberGenerator.GetBytes(MinKeyBytes);
    }

    /// <summary>The key <c>CdsHooks:CardUuidKey</c> names (base64), or null for none.</summary>
    /// <exception cref="FormatException">Not base64.</exception>
    public static byte[]? KeyOf(string? configured) => string.IsNullOrWhiteSpace(configured) ? null : Convert.FromBase64String(configured.Trim());

    /// <summary>A new card uuid for <paramref name="serviceId"/>'s answer to <paramref name="client"/> (null without
    /// authentication).</summary>
    public string Issue(string serviceId, CdsClientIdentity? client)
    {
        Span<byte> uuid = stackalloc byte[16];
        RandomNumberGenerator.Fill(uuid[..RandomBytes]);
        uuid[6] = (byte)(0x80 | (uuid[6] & 0x0F)); // version 8 (RFC 9562 §5.8)
        uuid[8] = (byte)(0x80 | (uuid[8] & 0x3F)); // variant 10
        Tag(uuid[..RandomBytes], serviceId, client, uuid[RandomBytes..]);
        return new Guid(uuid, bigEndian: true).ToString();
    }

    /// <summary>Whether <paramref name="card"/> is a uuid <see cref="Issue"/> gave for this service and client under this
    /// key.</summary>
    public bool WasIssued(string serviceId, CdsClientIdentity? client, string card)
    {
        if (!Guid.TryParseExact(card, "D", out var guid))
            return false;
        Span<byte> uuid = stackalloc byte[16];
        guid.TryWriteBytes(uuid, bigEndian: true, out _);
        if (uuid[6] >> 4 != 8 || uuid[8] >> 6 != 2)
            return false;
        Span<byte> tag = stackalloc byte[16 - RandomBytes];
        Tag(uuid[..RandomBytes], serviceId, client, tag);
        return CryptographicOperations.FixedTimeEquals(tag, uuid[RandomBytes..]);
    }

    /// <summary>The first bytes of HMAC-SHA256 over the random part, the service and the client, each length-prefixed
    /// (null apart from empty) so that no two different triples hash the same text.</summary>
    private void Tag(ReadOnlySpan<byte> random, string serviceId, CdsClientIdentity? client, Span<byte> tag)
    {
        string?[] parts = [serviceId, client?.Issuer, client?.Tenant];
        var message = new byte[random.Length + parts.Sum(p => 4 + (p is null ? 0 : Encoding.UTF8.GetByteCount(p)))];
        random.CopyTo(message);
        var at = random.Length;
        foreach (var part in parts)
        {
            var length = part is null ? 0 : Encoding.UTF8.GetBytes(part, message.AsSpan(at + 4));
            BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(at), part is null ? -1 : length);
            at += 4 + length;
        }
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(_key, message, hash);
        hash[..tag.Length].CopyTo(tag);
    }
}
