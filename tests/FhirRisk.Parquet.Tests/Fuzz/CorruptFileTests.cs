using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Tests.Fuzz;

/// <summary>
/// Specific bad inputs and the <see cref="ParquetErrorCodes"/> they must produce, with the location fields (file, row
/// group, column, byte offset) that make the message actionable.
/// </summary>
public sealed class CorruptFileTests
{
    private const string Name = "corrupt.parquet";

    // Uncompressed, 40 rows in row groups of 16: pages sit at the offsets the footer names, byte for byte.
    private static byte[] Sample() => FuzzSeedCorpus.WriteSample(
        new ParquetWriterOptions { Compression = ParquetCompression.Uncompressed, RowGroupSize = 16 }, rows: 40);

    [Fact]
    public void Open_BadMagicAtHead_ThrowsBadMagicAtOffsetZero()
    {
        var file = Sample();
        "PARX"u8.CopyTo(file);
        var error = ReadExpectingError(file);
        Assert.Equal(ParquetErrorCodes.BadMagic, error.Code);
        Assert.Equal(Name, error.FilePath);
        Assert.Equal(0, error.Offset);
    }

    [Fact]
    public void Open_BadMagicAtTail_ThrowsBadMagicAtTailOffset()
    {
        var file = Sample();
        "XXXX"u8.CopyTo(file.AsSpan(file.Length - 4));
        var error = ReadExpectingError(file);
        Assert.Equal(ParquetErrorCodes.BadMagic, error.Code);
        Assert.Equal(Name, error.FilePath);
        Assert.Equal(file.Length - 4, error.Offset);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(11)]
    [InlineData(100)]
    [InlineData(-1)]
    public void Open_TruncatedFile_ThrowsTruncatedOrBadMagic(int length)
    {
        // A cut file has lost its trailing PAR1 (unless it is too short to hold a magic at all), so either code names the problem.
        var sample = Sample();
        var file = sample[..(length < 0 ? sample.Length + length : length)];
        var error = ReadExpectingError(file);
        Assert.Contains(error.Code, new[] { ParquetErrorCodes.Truncated, ParquetErrorCodes.BadMagic });
        Assert.Equal(Name, error.FilePath);
    }

    [Fact]
    public void ReadRowGroup_ColumnChunkBeyondEndOfFile_ThrowsTruncatedWithLocation()
    {
        var sample = Sample();
        var file = FooterSurgery.Edit(sample, metadata => FooterSurgery.Chunk(metadata, 0, "subject_id").TotalCompressedSize = sample.Length);
        var error = ReadExpectingError(file);
        // "ends before a structure it declares" (Truncated) and "a declared size exceeds the file" (SizeLimit) both describe it.
        Assert.Contains(error.Code, new[] { ParquetErrorCodes.Truncated, ParquetErrorCodes.SizeLimit });
        Assert.Equal(Name, error.FilePath);
        Assert.Equal(0, error.RowGroup);
        Assert.Equal("subject_id", error.Column);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0xFF)]
    public void Open_FooterBytesOverwritten_ThrowsCorruptMetadataInsideFooter(byte fill)
    {
        var file = Sample();
        var (start, length) = FooterSurgery.FooterRange(file);
        file.AsSpan(start, length).Fill(fill);
        var error = ReadExpectingError(file);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, error.Code);
        Assert.Equal(Name, error.FilePath);
        Assert.NotNull(error.Offset);
        Assert.InRange(error.Offset.Value, start, start + length);
    }

    [Fact]
    public void ReadRowGroup_PageHeaderOverwritten_ThrowsCorruptMetadataWithLocation()
    {
        var file = Sample();
        var pageOffset = (int)FooterSurgery.Chunk(FooterSurgery.Read(file), 1, "subject_id").DataPageOffset;
        // 0xFF is a field header with delta 15 and type 15, which compact thrift does not define.
        file.AsSpan(pageOffset, 6).Fill(0xFF);
        var error = ReadExpectingError(file);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, error.Code);
        Assert.Equal(Name, error.FilePath);
        Assert.Equal(1, error.RowGroup);
        Assert.Equal("subject_id", error.Column);
        Assert.NotNull(error.Offset);
        Assert.InRange(error.Offset.Value, pageOffset, pageOffset + 6);
    }

    [Fact]
    public void ReadRowGroup_PageByteFlippedWithCrc_ThrowsCrcMismatch_AndReadsChangedValueWithoutVerification()
    {
        const string Marker = "MARKER-VALUE-IN-PAGE-DATA";
        var field = new ParquetField("s", ParquetType.String, Nullable: false);
        var options = new ParquetWriterOptions { Compression = ParquetCompression.Uncompressed, DictionaryEnabled = false, WritePageCrc = true };
        var file = WriteSingleColumn(field, new string?[] { "AAAA", Marker, "zzzz" }, options);
        // Statistics hold only "AAAA" and "zzzz", so the marker's only copy is in the page data.
        var markerAt = file.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(Marker));
        Assert.True(markerAt > 0, "the marker was not found in the page data");
        file[markerAt] ^= 0x01;

        var error = ReadExpectingError(file);
        Assert.Equal(ParquetErrorCodes.CrcMismatch, error.Code);
        Assert.Equal(Name, error.FilePath);
        Assert.Equal(0, error.RowGroup);
        Assert.Equal("s", error.Column);
        Assert.NotNull(error.Offset);
        Assert.InRange(error.Offset.Value, 4, markerAt);

        using var lenient = new ParquetFileReader(new MemoryStream(file), Name, new ParquetReaderOptions { VerifyPageCrc = false });
        Assert.Equal("LARKER-VALUE-IN-PAGE-DATA", lenient.ReadRowGroup(0)["s"].As<string?>()[1]);
    }

    [Theory]
    [InlineData((int)CompressionCodec.Lzo)]
    [InlineData((int)CompressionCodec.Brotli)]
    [InlineData(42)]
    public void ReadRowGroup_UnsupportedCodecId_ThrowsUnsupportedWithLocation(int codecId)
    {
        var codec = (CompressionCodec)codecId;
        var file = FooterSurgery.Edit(Sample(), metadata =>
        {
            foreach (var chunk in metadata.RowGroups.SelectMany(g => g.Columns))
                chunk.MetaData!.Codec = codec;
        });
        var error = ReadExpectingError(file);
        Assert.Equal(ParquetErrorCodes.Unsupported, error.Code);
        Assert.Equal(Name, error.FilePath);
        Assert.Equal(0, error.RowGroup);
        Assert.Equal("subject_id", error.Column);
    }

    [Fact]
    public void Sample_Unmodified_ReadsWithoutError()
    {
        using var reader = new ParquetFileReader(new MemoryStream(Sample()), Name);
        Assert.Equal(9, reader.Schema.Fields.Count);
        Assert.Equal([16, 16, 8], reader.ReadRowGroups().Select(g => g.RowCount));
    }

    /// <summary>Opens and reads every row group in order; the first <see cref="ParquetException"/> is the answer.</summary>
    private static ParquetException ReadExpectingError(byte[] file) => Assert.Throws<ParquetException>(() =>
    {
        using var reader = new ParquetFileReader(new MemoryStream(file), Name);
        foreach (var group in reader.ReadRowGroups())
            Assert.True(group.RowCount >= 0);
    });

    private static byte[] WriteSingleColumn(ParquetField field, Array values, ParquetWriterOptions options)
    {
        using var stream = new MemoryStream();
        using (var writer = new ParquetFileWriter(stream, new ParquetSchema(field), options, leaveOpen: true))
            writer.WriteRowGroup([ParquetColumn.Create(field, values)]);
        return stream.ToArray();
    }
}
