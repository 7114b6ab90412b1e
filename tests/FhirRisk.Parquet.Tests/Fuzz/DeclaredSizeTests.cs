namespace FhirRisk.Parquet.Tests.Fuzz;

/// <summary>
/// A few kilobytes of file that declare huge sizes (rows, values, page bytes) within the reader's documented limits must
/// fail with <see cref="ParquetException"/> before the reader allocates for what the bytes cannot hold. Random mutations
/// rarely produce these, because the sizes are thrift varints that a byte flip shortens or breaks; here they are set
/// through the thrift model.
/// </summary>
public sealed class DeclaredSizeTests
{
    private const string Name = "declared-size.parquet";
    private const long AllocationLimit = 256L << 20;

    private static byte[] Sample(ParquetCompression codec = ParquetCompression.Snappy) =>
        FuzzSeedCorpus.WriteSample(new ParquetWriterOptions { Compression = codec, RowGroupSize = 16 }, rows: 40);

    [Fact]
    public void EditPageHeader_DroppingTheCrc_KeepsTheFileReadable()
    {
        // Checks the surgery itself: the header shrinks, so every later offset in the footer must have moved with it.
        var original = Sample();
        var offset = FooterSurgery.Chunk(FooterSurgery.Read(original), 0, "subject_id").DataPageOffset;
        var edited = FooterSurgery.EditPageHeader(original, offset, header => header.Crc = null);
        Assert.True(edited.Length < original.Length);
        using var expected = new ParquetFileReader(new MemoryStream(original), Name);
        using var actual = new ParquetFileReader(new MemoryStream(edited), Name);
        foreach (var group in actual.ReadRowGroups())
        {
            var before = expected.ReadRowGroup(group.Index);
            for (var c = 0; c < group.Columns.Count; c++)
                RoundTrip.ColumnComparer.AssertColumnsEqual(before.Columns[c], group.Columns[c], $"row group {group.Index}");
        }
    }

    [Fact]
    public void ReadRowGroup_FooterDeclaresHundredMillionRows_FailsWithoutAllocatingForThem()
    {
        const long Rows = 100_000_000;
        var file = FooterSurgery.Edit(Sample(), metadata =>
        {
            metadata.NumRows = Rows;
            metadata.RowGroups[0].NumRows = Rows;
            foreach (var chunk in metadata.RowGroups[0].Columns)
                chunk.MetaData!.NumValues = Rows;
        });
        AssertFailsCheaply(file);
    }

    [Fact]
    public void ReadRowGroup_ListChunkDeclaresTwoBillionValues_FailsWithoutAllocatingForThem()
    {
        var file = FooterSurgery.Edit(Sample(), metadata =>
            FooterSurgery.Chunk(metadata, 0, "parent_codes").NumValues = int.MaxValue - 1);
        AssertFailsCheaply(file);
    }

    [Theory]
    [InlineData(ParquetCompression.Uncompressed)]
    [InlineData(ParquetCompression.Snappy)]
    [InlineData(ParquetCompression.Gzip)]
    [InlineData(ParquetCompression.Zstd)]
    public void ReadRowGroup_PageDeclares500MBUncompressed_FailsWithoutAllocatingIt(ParquetCompression codec)
    {
        // 500 MB is under ParquetReaderOptions.MaxPageSize (512 MB), so only the page's own bytes can refute it.
        var sample = Sample(codec);
        var offset = FooterSurgery.Chunk(FooterSurgery.Read(sample), 0, "subject_id").DataPageOffset;
        var file = FooterSurgery.EditPageHeader(sample, offset, header => header.UncompressedPageSize = 500 << 20);
        AssertFailsCheaply(file);
    }

    private static void AssertFailsCheaply(byte[] file)
    {
        // Judged first, on a fresh look at the bytes: a pooled buffer made here would hide the allocation from a second read.
        Assert.Null(FuzzCase.Judge(file, Name, AllocationLimit));
        Assert.Throws<ParquetException>(() =>
        {
            using var reader = new ParquetFileReader(new MemoryStream(file), Name);
            foreach (var group in reader.ReadRowGroups())
                Assert.True(group.RowCount >= 0);
        });
    }
}
