using System.Buffers;
using System.Collections;
using FhirRisk.Parquet.Internal.Format;
using FhirRisk.Parquet.Internal.Thrift;
using Xunit.Sdk;

namespace FhirRisk.Parquet.Tests.Thrift;

/// <summary>Encode/decode plumbing shared by the Thrift tests, and a reflective deep comparison of metadata objects.</summary>
internal static class ThriftTestCodec
{
    public static byte[] Encode(Action<ThriftCompactWriter> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(new ThriftCompactWriter(output));
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Decodes one value and asserts that it consumed every byte.</summary>
    public static T Decode<T>(byte[] bytes, ThriftElementReader<T> read)
    {
        var reader = new ThriftCompactReader(bytes);
        var value = read(ref reader);
        Assert.Equal(bytes.Length, reader.Position);
        return value;
    }

    /// <summary>Writes, reads back, compares every property, and checks that re-encoding gives the same bytes.</summary>
    public static T AssertRoundTrip<T>(T value, Action<T, ThriftCompactWriter> write, ThriftElementReader<T> read)
        where T : class
    {
        var bytes = Encode(w => write(value, w));
        var decoded = Decode(bytes, read);
        AssertSameContent(value, decoded, typeof(T).Name);
        Assert.Equal(bytes, Encode(w => write(decoded, w)));
        return decoded;
    }

    /// <summary>Parses a span expecting a <see cref="ParquetException"/> and nothing else.</summary>
    public static ParquetException ParseFails<T>(byte[] bytes, ThriftElementReader<T> read)
    {
        try
        {
            var reader = new ThriftCompactReader(bytes);
            read(ref reader);
        }
        catch (ParquetException e)
        {
            return e;
        }
        throw new XunitException($"Parsing {bytes.Length} bytes ({Convert.ToHexString(bytes)}) did not throw.");
    }

    /// <summary>Compares two metadata graphs property by property (lists and byte arrays element-wise).</summary>
    public static void AssertSameContent(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            if (!ReferenceEquals(expected, actual))
                throw new XunitException($"{path}: expected {expected ?? "null"}, got {actual ?? "null"}.");
            return;
        }
        var type = expected.GetType();
        if (type.IsPrimitive || type.IsEnum || expected is string)
        {
            if (!expected.Equals(actual))
                throw new XunitException($"{path}: expected {expected}, got {actual}.");
            return;
        }
        if (expected is IList expectedList)
        {
            var actualList = (IList)actual;
            if (expectedList.Count != actualList.Count)
                throw new XunitException($"{path}: expected {expectedList.Count} items, got {actualList.Count}.");
            for (var i = 0; i < expectedList.Count; i++)
                AssertSameContent(expectedList[i], actualList[i], $"{path}[{i}]");
            return;
        }
        foreach (var property in type.GetProperties())
            AssertSameContent(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
    }

    /// <summary>
    /// Asserts that a sample sets every property (no null, no empty list), recursively through nested structs and the last
    /// item of each list, so that round trips cover all fields.
    /// </summary>
    public static void AssertFullyPopulated(object value, string path)
    {
        foreach (var property in value.GetType().GetProperties())
        {
            var child = property.GetValue(value);
            var where = $"{path}.{property.Name}";
            if (child is null)
                throw new XunitException($"{where} is not set in the full sample.");
            if (child is IList { Count: 0 } and not byte[])
                throw new XunitException($"{where} is an empty list in the full sample.");
            if (child is IList { Count: > 0 } list && list[^1] is { } last && IsMetadataStruct(last))
            {
                // Samples may mix minimal and full items; the last item of each list is the full one.
                AssertFullyPopulated(last, $"{where}[^1]");
            }
            else if (IsMetadataStruct(child) && child is not LogicalType)
            {
                AssertFullyPopulated(child, where);
            }
        }
    }

    private static bool IsMetadataStruct(object value) =>
        value.GetType().Namespace == typeof(FileMetaData).Namespace && value.GetType().IsClass;
}
