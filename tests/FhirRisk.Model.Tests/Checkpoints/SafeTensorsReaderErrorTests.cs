using System.Buffers.Binary;
using System.Text;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Testing;

namespace FhirRisk.Model.Tests.Checkpoints;

public sealed class SafeTensorsReaderErrorTests : IDisposable
{
    private const string TwoTensors =
        """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""";

    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(40)]
    [InlineData(-12)]
    [InlineData(-1)]
    public void Open_TruncatedFile_ReportsTruncationWithFileAndHint(int cut)
    {
        var whole = SafeTensorsFiles.Assemble(TwoTensors, SafeTensorsFiles.Floats(1, 2, 3));
        var path = Write(whole[..(cut >= 0 ? cut : whole.Length + cut)]);

        var error = Assert.Throws<CheckpointException>(() => SafeTensorsReader.Open(path));

        Assert.Equal(CheckpointErrorCodes.Truncated, error.Code);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        Assert.Contains("Hint:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_TruncatedInsideData_NamesTheTensorAndByteCounts()
    {
        var whole = SafeTensorsFiles.Assemble(TwoTensors, SafeTensorsFiles.Floats(1, 2, 3));
        var path = Write(whole[..^2]);

        var error = Assert.Throws<CheckpointException>(() => SafeTensorsReader.Open(path));

        Assert.Equal("b", error.Tensor);
        Assert.Contains("ends at data byte 12", error.Message, StringComparison.Ordinal);
        Assert.Contains("only 10 data bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_HeaderLengthBeyondTheFormatLimit_IsRejectedBeforeAllocating()
    {
        var bytes = SafeTensorsFiles.Assemble(TwoTensors, SafeTensorsFiles.Floats(1, 2, 3));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 200_000_000);

        var error = Assert.Throws<CheckpointException>(() => SafeTensorsReader.Open(Write(bytes)));

        Assert.Equal(CheckpointErrorCodes.HeaderTooLarge, error.Code);
        Assert.Contains("200000000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_HeaderLengthTooShort_ReportsBadHeader()
    {
        var bytes = SafeTensorsFiles.Assemble(TwoTensors, SafeTensorsFiles.Floats(1, 2, 3));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 16);

        var error = Assert.Throws<CheckpointException>(() => SafeTensorsReader.Open(Write(bytes)));

        Assert.Equal(CheckpointErrorCodes.BadHeader, error.Code);
        Assert.Contains("not valid UTF-8 JSON", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", "overlap 'a' [0, 8]", "b")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", "bytes [4, 8) before this tensor belong to no tensor", "b")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "cover 8 data bytes but the file holds 12", null)]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}""", "F32 [2] needs 8 bytes, but data_offsets [0, 12] span 12", "a")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[12,0]}}""", "begin ≤ end, found [12, 0]", "a")]
    public void Open_OffsetsBreakingTheFormatRules_ReportBadOffsets(string json, string expected, string? tensor)
    {
        var path = Write(SafeTensorsFiles.Assemble(json, SafeTensorsFiles.Floats(1, 2, 3)));

        var error = Assert.Throws<CheckpointException>(() => SafeTensorsReader.Open(path));

        Assert.Equal(CheckpointErrorCodes.BadOffsets, error.Code);
        Assert.Equal(tensor, error.Tensor);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("F16")]
    [InlineData("BF16")]
    [InlineData("float32")]
    public void Open_DTypeThisBuildDoesNotRead_NamesTheDTypeAndTheTensor(string dtype)
    {
        var json = "{\"a\":{\"dtype\":\"" + dtype + "\",\"shape\":[3],\"data_offsets\":[0,12]}}";
        var path = Write(SafeTensorsFiles.Assemble(json, SafeTensorsFiles.Floats(1, 2, 3)));

        var error = Assert.Throws<CheckpointException>(() => SafeTensorsReader.Open(path));

        Assert.Equal(CheckpointErrorCodes.UnsupportedDType, error.Code);
        Assert.Equal("a", error.Tensor);
        Assert.Contains($"'{dtype}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("F32", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""[1,2,3]""", "starting with '{'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}""", "appears twice")]
    [InlineData("""{"__metadata__":{"step":3},"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}""", "'__metadata__.step' must be a string")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-3],"data_offsets":[0,12]}}""", "non-negative integers, found -3")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3]}}""", "needs all of dtype, shape and data_offsets")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12],"offsets":[0,12]}}""", "unexpected or repeated field 'offsets'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,12]}}""", "overflows")]
    public void Open_HeaderNotShapedAsTheFormatSays_ReportsBadHeader(string json, string expected)
    {
        var path = Write(SafeTensorsFiles.Assemble(json, SafeTensorsFiles.Floats(1, 2, 3)));

        var error = Assert.Throws<CheckpointException>(() => SafeTensorsReader.Open(path));

        Assert.Equal(CheckpointErrorCodes.BadHeader, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tensor name")]
    [InlineData("dtype")]
    [InlineData("metadata value")]
    public void Open_HeaderBytesThatAreNotUtf8_ReportBadHeader(string where)
    {
        // 0xFF never occurs in UTF-8; 0xC3 0x28 is a lead byte without its continuation.
        var header = Encoding.UTF8.GetBytes("""{"__metadata__":{"k":"M"},"aN":{"dtype":"F3D","shape":[3],"data_offsets":[0,12]}}""");
        header = where switch
        {
            "tensor name" => Replace(Replace(Replace(header, "M", "v"), "D", "2"), "N", [0xFF, 0xFE]),
            "dtype" => Replace(Replace(Replace(header, "M", "v"), "N", []), "D", [0xFF]),
            _ => Replace(Replace(Replace(header, "N", []), "D", "2"), "M", [0xC3, 0x28]),
        };
        var path = Write(SafeTensorsFiles.Assemble(header, SafeTensorsFiles.Floats(1, 2, 3)));

        var error = Assert.Throws<CheckpointException>(() => SafeTensorsReader.Open(path));

        Assert.Equal(CheckpointErrorCodes.BadHeader, error.Code);
        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_EscapedLoneSurrogate_ReportsBadHeader()
    {
        var path = Write(SafeTensorsFiles.Assemble("""{"\uD800":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}""", SafeTensorsFiles.Floats(1, 2, 3)));

        var error = Assert.Throws<CheckpointException>(() => SafeTensorsReader.Open(path));

        Assert.Equal(CheckpointErrorCodes.BadHeader, error.Code);
        Assert.Contains("not valid Unicode", error.Message, StringComparison.Ordinal);
    }

    // The header with the first occurrence of the one-character marker replaced by bytes.
    private static byte[] Replace(byte[] header, string marker, byte[] bytes)
    {
        var at = Array.IndexOf(header, (byte)marker[0], 2); // past '{"', so the markers inside the keys are found
        return [.. header.AsSpan(0, at), .. bytes, .. header.AsSpan(at + 1)];
    }

    private static byte[] Replace(byte[] header, string marker, string text) => Replace(header, marker, Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Open_MissingFile_SaysSo()
    {
        var path = _folder.File("nowhere.safetensors");

        var error = Assert.Throws<CheckpointException>(() => SafeTensorsReader.Open(path));

        Assert.Equal(CheckpointErrorCodes.MissingFile, error.Code);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_WrongElementTypeOrCount_IsRejected()
    {
        using var reader = SafeTensorsReader.Open(Write(SafeTensorsFiles.Assemble(TwoTensors, SafeTensorsFiles.Floats(1, 2, 3))));

        var dtype = Assert.Throws<CheckpointException>(() => reader.ReadArray<double>("a"));
        var count = Assert.Throws<CheckpointException>(() => reader.Read<float>("a", new float[3]));
        var missing = Assert.Throws<CheckpointException>(() => reader.ReadArray<float>("c"));

        Assert.Equal(CheckpointErrorCodes.DTypeMismatch, dtype.Code);
        Assert.Contains("expected dtype F64, found F32", dtype.Message, StringComparison.Ordinal);
        Assert.Equal(CheckpointErrorCodes.ShapeMismatch, count.Code);
        Assert.Contains("expected 3 elements, found 2", count.Message, StringComparison.Ordinal);
        Assert.Equal(CheckpointErrorCodes.MissingTensor, missing.Code);
        Assert.Equal([1f, 2f], reader.ReadArray<float>("a"));
    }

    private string Write(byte[] bytes)
    {
        var path = _folder.File($"{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
