using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace FhirRisk.Core;

/// <summary>
/// Hashes that never change between runs, machines or .NET versions (unlike <see cref="string.GetHashCode()"/>),
/// so that subject ids and split assignments are reproducible forever.
/// </summary>
public static class StableHash
{
    /// <summary>A non-negative 63-bit hash of a string (SHA-256 prefix). Used for subject ids from FHIR ids.</summary>
    public static long Of63(string value)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(value), digest);
        return (long)(BinaryPrimitives.ReadUInt64LittleEndian(digest) & 0x7FFF_FFFF_FFFF_FFFFUL);
    }

    /// <summary>
    /// A non-negative 63-bit keyed hash: the HMAC-SHA256 (RFC 2104) prefix of <paramref name="value"/> under
    /// <paramref name="key"/>. Unlike <see cref="Of63"/>, whoever lacks the key cannot find the value by hashing guesses
    /// (a list of MRNs): used for subject ids when ingestion is given a subject key.
    /// </summary>
    public static long KeyedOf63(ReadOnlySpan<byte> key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Span<byte> digest = stackalloc byte[32];
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(value), digest);
        return (long)(BinaryPrimitives.ReadUInt64LittleEndian(digest) & 0x7FFF_FFFF_FFFF_FFFFUL);
    }

    /// <summary>SplitMix64 finalizer: a bijective, well-mixed 64-bit permutation of <paramref name="value"/>.</summary>
    public static ulong Mix(ulong value)
    {
        value += 0x9E3779B97F4A7C15UL;
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9UL;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EBUL;
        return value ^ (value >> 31);
    }

    /// <summary>
    /// An independent key for one purpose of a run (initial weights, data order, dropout, …) from the run's one seed:
    /// SplitMix64's finalizer over seed + purpose·γ, so the purposes of one seed, and nearby seeds, never share keys.
    /// Purpose numbers start at 1; the values are part of every run's reproducibility, so they never change.
    /// </summary>
    public static ulong DeriveKey(ulong seed, ulong purpose) => Mix(seed + ((purpose - 1) * 0x9E3779B97F4A7C15UL));

    /// <summary>A deterministic number in [0, 1) derived from <paramref name="value"/> and a salt.</summary>
    public static double UnitInterval(long value, ulong salt = 0) =>
        (Mix((ulong)value ^ Mix(salt)) >> 11) * (1.0 / (1UL << 53));
}
