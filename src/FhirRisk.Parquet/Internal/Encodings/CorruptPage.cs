using System.Diagnostics.CodeAnalysis;

namespace FhirRisk.Parquet.Internal.Encodings;

/// <summary>
/// Raises <see cref="ParquetErrorCodes.CorruptPage"/> for page bytes that do not decode. Throwing from a separate,
/// never-inlined method keeps the hot decode loops small enough for the JIT to inline and unroll.
/// </summary>
internal static class CorruptPage
{
    public static ParquetException Exception(string message) => new(ParquetErrorCodes.CorruptPage, message);

    [DoesNotReturn]
    public static void Throw(string message) => throw Exception(message);

    [DoesNotReturn]
    public static T Throw<T>(string message) => throw Exception(message);
}
