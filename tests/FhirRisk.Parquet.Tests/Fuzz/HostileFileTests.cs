using System.Buffers.Binary;
using FhirRisk.Parquet.Internal;
using FhirRisk.Parquet.Internal.Format;
using FhirRisk.Parquet.Internal.Reading;
using FhirRisk.Parquet.Internal.Writing;

namespace FhirRisk.Parquet.Tests.Fuzz;

/// <summary>
/// Files built to hurt the reader — a schema nested a million deep, counts that ask for gigabytes, lists whose levels
/// do not add up, units and encryption it cannot read — must each end in a <see cref="ParquetException"/> that names
/// the problem, cheaply: never a crash of the process, an out-of-memory, or values moved to the wrong rows.
/// </summary>
public sealed class HostileFileTests
{
    private const string Name = "hostile.parquet";

    /// <summary>What a failing read may allocate on its thread: far below what the corrupt counts ask for.</summary>
    private const long AllocationLimit = 256L << 20;

    private static byte[] Sample(ParquetCompression codec = ParquetCompression.Uncompressed) =>
        FuzzSeedCorpus.WriteSample(new ParquetWriterOptions { Compression = codec, RowGroupSize = 16 }, rows: 40);

    /// <summary>A file of no row groups around <paramref name="footer"/>.</summary>
    private static byte[] FooterOnly(byte[] footer)
    {
        var file = new byte[4 + footer.Length + 8];
        "PAR1"u8.CopyTo(file);
        footer.CopyTo(file, 4);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(4 + footer.Length), footer.Length);
        "PAR1"u8.CopyTo(file.AsSpan(file.Length - 4));
        return file;
    }

    private static ParquetException Open(byte[] file) =>
        Assert.IsType<ParquetException>(Record.Exception(() => new ParquetFileReader(new MemoryStream(file), Name).Dispose()));

    [Fact]
    public void A_schema_nested_a_million_groups_deep_is_skipped_without_overflowing_the_stack()
    {
        // About 8 bytes of footer per level: a recursive walk overflowed the stack (which no catch survives) from ~75,000.
        const int depth = 1_000_000;
        var schema = new List<SchemaElement>(depth + 3) { new() { Name = "schema", NumChildren = 2 } };
        schema.Add(new SchemaElement { Name = "x", RepetitionType = FieldRepetitionType.Optional, Type = PhysicalType.Int32 });
        for (var i = 0; i < depth; i++)
            schema.Add(new SchemaElement { Name = "g", RepetitionType = FieldRepetitionType.Optional, NumChildren = 1 });
        schema.Add(new SchemaElement { Name = "leaf", RepetitionType = FieldRepetitionType.Optional, Type = PhysicalType.Int32 });
        var footer = new FileMetaData { Version = 1, Schema = schema, NumRows = 0, RowGroups = [] }.Serialize();

        using var reader = new ParquetFileReader(new MemoryStream(FooterOnly(footer)), Name);

        Assert.Equal(["x"], reader.Schema.Fields.Select(f => f.Name));
        Assert.Contains("nested group", reader.UnsupportedColumns["g"], StringComparison.Ordinal);
    }

    [Fact]
    public void A_negative_child_count_is_corrupt_metadata()
    {
        var schema = new List<SchemaElement>
        {
            new() { Name = "schema", NumChildren = 1 },
            new() { Name = "g", RepetitionType = FieldRepetitionType.Optional, NumChildren = -5 },
        };
        var footer = new FileMetaData { Version = 1, Schema = schema, NumRows = 0, RowGroups = [] }.Serialize();

        var error = Open(FooterOnly(footer));

        Assert.Equal(ParquetErrorCodes.CorruptMetadata, error.Code);
        Assert.Contains("-5 children", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(1L << 40)]
    [InlineData(41L)]
    public void A_footer_row_count_that_is_not_the_sum_of_its_row_groups_is_refused_at_open(long numRows)
    {
        // Callers size buffers from RowCount (labels, predictions), so a wrong count must not get past the open.
        var file = FooterSurgery.Edit(Sample(), metadata => metadata.NumRows = numRows);

        var error = Open(file);

        Assert.Equal(ParquetErrorCodes.CorruptMetadata, error.Code);
        Assert.Contains("row groups hold 40", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_negative_row_group_row_count_is_refused_at_open()
    {
        var file = FooterSurgery.Edit(Sample(), metadata =>
        {
            metadata.RowGroups[1].NumRows = -16;
            metadata.NumRows = 40 - 32;
        });

        var error = Open(file);

        Assert.Equal(ParquetErrorCodes.CorruptMetadata, error.Code);
        Assert.Equal(1, error.RowGroup);
    }

    [Fact]
    public void A_list_page_declaring_two_billion_levels_fails_before_it_allocates_them()
    {
        var sample = Sample();
        var offset = FooterSurgery.Chunk(FooterSurgery.Read(sample), 0, "parent_codes").DataPageOffset;
        var edited = FooterSurgery.EditPageHeader(sample, offset, header => header.DataPageHeader!.NumValues = int.MaxValue - 1);
        var file = FooterSurgery.Edit(edited, metadata => FooterSurgery.Chunk(metadata, 0, "parent_codes").NumValues = int.MaxValue - 1);

        Assert.Null(FuzzCase.Judge(file, Name, AllocationLimit));
        var error = Assert.IsType<ParquetException>(Record.Exception(() =>
        {
            using var reader = new ParquetFileReader(new MemoryStream(file), Name);
            reader.ReadRowGroup(0, ["parent_codes"]);
        }));
        Assert.Equal(ParquetErrorCodes.SizeLimit, error.Code);
        Assert.Contains("MaxColumnChunkValues", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_row_group_declaring_more_than_its_decoded_budget_fails_before_reading_a_page()
    {
        // Review s21-parquet H1: within MaxColumnChunkValues, single RLE runs let a list column of a few bytes stand for
        // 200 million [null] rows, about 10 GB decoded; a flat column costs its slot a row, and the row group sums them.
        const int declared = 200_000_000;
        var sample = Sample();
        var offset = FooterSurgery.Chunk(FooterSurgery.Read(sample), 0, "parent_codes").DataPageOffset;
        var edited = FooterSurgery.EditPageHeader(sample, offset, header => header.DataPageHeader!.NumValues = declared);
        var file = FooterSurgery.Edit(edited, metadata => FooterSurgery.Chunk(metadata, 0, "parent_codes").NumValues = declared);

        var (error, allocated) = ReadRowGroupZero(file, "parent_codes");

        Assert.Equal(ParquetErrorCodes.SizeLimit, error.Code);
        Assert.Contains("MaxRowGroupDecodedBytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, error.RowGroup);
        Assert.True(allocated < AllocationLimit, $"allocated {allocated:N0} bytes");
        // The same file read with a budget that holds it gets to the page, which refutes the count.
        var roomy = new ParquetReaderOptions { MaxRowGroupDecodedBytes = 8L << 30 };
        using var reader = new ParquetFileReader(new MemoryStream(file), Name, roomy);
        Assert.Equal(ParquetErrorCodes.CorruptPage, Assert.IsType<ParquetException>(Record.Exception(() => reader.ReadRowGroup(0, ["parent_codes"]))).Code);
    }

    [Fact]
    public void A_row_groups_decoded_size_is_estimated_from_each_columns_declared_count()
    {
        var descriptor = new ColumnDescriptor(new ParquetField("x", ParquetType.Int64), ["x"], PhysicalType.Int64, 0, 1, 0, 0);
        var list = new ColumnDescriptor(new ParquetField("l", ParquetType.String), ["l", "list", "element"], PhysicalType.ByteArray, 0, 3, 1, 1);

        Assert.Equal(1_000 * (8 + 2), ParquetFileReader.DecodedBytes(descriptor, 1_000, 1_000));
        Assert.Equal(5_000 * (24 + 4) + 1_000 * 32, ParquetFileReader.DecodedBytes(list, 5_000, 1_000));
    }

    [Fact]
    public void A_list_page_whose_levels_hold_fewer_entries_than_it_declares_fails_before_allocating()
    {
        // Within MaxColumnChunkValues and the row group's decoded budget, so only the level data itself can refute the
        // count.
        const int declared = 60_000_000;
        var sample = Sample();
        var offset = FooterSurgery.Chunk(FooterSurgery.Read(sample), 0, "parent_codes").DataPageOffset;
        var edited = FooterSurgery.EditPageHeader(sample, offset, header => header.DataPageHeader!.NumValues = declared);
        var file = FooterSurgery.Edit(edited, metadata => FooterSurgery.Chunk(metadata, 0, "parent_codes").NumValues = declared);

        var (error, allocated) = ReadRowGroupZero(file, "parent_codes");

        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
        Assert.Contains("Level data holds", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < AllocationLimit, $"allocated {allocated:N0} bytes");
    }

    [Theory]
    // Within MaxRowGroupRows: the footer and the page agree, and only the page's few bytes refute them — of levels for
    // the optional "time", of PLAIN values for the required "subject_id", which has no levels.
    [InlineData("time")]
    [InlineData("subject_id")]
    public void A_flat_page_declaring_two_hundred_million_rows_fails_before_it_allocates_them(string column)
    {
        const int rows = 200_000_000;
        var sample = Sample();
        var offset = FooterSurgery.Chunk(FooterSurgery.Read(sample), 0, column).DataPageOffset;
        var edited = FooterSurgery.EditPageHeader(sample, offset, header => header.DataPageHeader!.NumValues = rows);
        var file = FooterSurgery.Edit(edited, metadata =>
        {
            metadata.RowGroups[0].NumRows = rows;
            metadata.NumRows = rows + 24;
            foreach (var chunk in metadata.RowGroups[0].Columns)
                chunk.MetaData!.NumValues = rows;
        });

        var (error, allocated) = ReadRowGroupZero(file, column);

        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
        Assert.True(allocated < AllocationLimit, $"allocated {allocated:N0} bytes");
    }

    [Theory]
    [InlineData((int)CompressionCodec.Lz4Raw, ParquetErrorCodes.CorruptMetadata)]
    [InlineData((int)CompressionCodec.Brotli, ParquetErrorCodes.Unsupported)]
    [InlineData((int)CompressionCodec.Lzo, ParquetErrorCodes.Unsupported)]
    public void A_page_declaring_500_MiB_is_refused_before_its_buffer_for_every_codec(int codecValue, string code)
    {
        var codec = (CompressionCodec)codecValue;
        var sample = Sample();
        var offset = FooterSurgery.Chunk(FooterSurgery.Read(sample), 0, "subject_id").DataPageOffset;
        var edited = FooterSurgery.EditPageHeader(sample, offset, header => header.UncompressedPageSize = 500 << 20);
        var file = FooterSurgery.Edit(edited, metadata => FooterSurgery.Chunk(metadata, 0, "subject_id").Codec = codec);

        var (error, allocated) = ReadRowGroupZero(file, "subject_id");

        Assert.Equal(code, error.Code);
        Assert.True(allocated < AllocationLimit, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Continuation_entries_after_an_empty_list_are_corrupt_not_values_moved_to_the_next_row()
    {
        // optional list<required int64>: def 1 = empty list, 2 = element. Rows [] then [10] would take 20's place silently.
        var column = ColumnDescriptor.ForWriting(ParquetField.ListOf("l", ParquetType.Int64, nullable: true, elementNullable: false));
        var leaf = LeafDecoder.Create(column);
        var bytes = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, 10);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), 20);
        leaf.ReadValues(Encoding.Plain, bytes, 2);

        var error = Assert.IsType<ParquetException>(Record.Exception(() =>
            ColumnAssembler.Assemble(column, leaf, definition: [1, 2, 2], repetition: [0, 1, 0], entries: 3, rowCount: 2)));

        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
        Assert.Contains("continuation", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decoded_list_values_that_no_level_places_are_corrupt()
    {
        var column = ColumnDescriptor.ForWriting(ParquetField.ListOf("l", ParquetType.Int64, nullable: true, elementNullable: false));
        var leaf = LeafDecoder.Create(column);
        var bytes = new byte[24];
        leaf.ReadValues(Encoding.Plain, bytes, 3);

        var error = Assert.IsType<ParquetException>(Record.Exception(() =>
            ColumnAssembler.Assemble(column, leaf, definition: [2, 2], repetition: [0, 0], entries: 2, rowCount: 2)));

        Assert.Contains("decoded 3 values but its levels place 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_timestamp_of_an_unknown_time_unit_is_unsupported_not_read_as_nanoseconds()
    {
        var file = FooterSurgery.Edit(Sample(), metadata =>
            metadata.Schema.First(e => e.Name == "time").LogicalType!.Unit = (TimeUnitKind)3);

        using var reader = new ParquetFileReader(new MemoryStream(file), Name);

        Assert.False(reader.Schema.Contains("time"));
        Assert.Contains("unknown time unit", reader.UnsupportedColumns["time"], StringComparison.Ordinal);
        Assert.Equal(40, reader.ReadRowGroups(["subject_id"]).Sum(g => g.RowCount));
    }

    [Fact]
    public void Modular_encryption_with_a_plaintext_footer_is_unsupported()
    {
        // FileMetaData field 8 (encryption_algorithm, an empty union here) before the footer's stop byte: the pages of
        // such a file are ciphertext, which must not be parsed and reported as corrupt.
        var sample = Sample();
        var (start, length) = FooterSurgery.FooterRange(sample);
        byte[] footer = [.. sample.AsSpan(start, length - 1), 0x1C, 0x00, 0x00];
        byte[] file = [.. sample.AsSpan(0, start), .. footer, 0, 0, 0, 0, .. "PAR1"u8];
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(file.Length - 8), footer.Length);

        var error = Open(file);

        Assert.Equal(ParquetErrorCodes.Unsupported, error.Code);
        Assert.Contains("encryption", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_string_value_that_is_not_utf8_is_corrupt_not_replaced()
    {
        // Two different damaged values would both read "\uFFFD" and merge.
        var schema = new ParquetSchema(new ParquetField("code", ParquetType.Binary, Nullable: false));
        using var stream = new MemoryStream();
        using (var writer = new ParquetFileWriter(stream, schema,
                   new ParquetWriterOptions { Compression = ParquetCompression.Uncompressed, DictionaryEnabled = false }, leaveOpen: true))
            writer.WriteRowGroup([ParquetColumn.Create(schema.Fields[0], new[] { new byte[] { 0x41 }, new byte[] { 0xC3, 0x28 } })]);
        var file = FooterSurgery.Edit(stream.ToArray(), metadata =>
        {
            var element = metadata.Schema.First(e => e.Name == "code");
            element.LogicalType = LogicalType.String();
            element.ConvertedType = ConvertedType.Utf8;
        });

        var (error, _) = ReadRowGroupZero(file, "code");

        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_decimal_scale_no_double_can_divide_by_is_unsupported()
    {
        var schema = new List<SchemaElement>
        {
            new() { Name = "schema", NumChildren = 1 },
            new()
            {
                Name = "d", RepetitionType = FieldRepetitionType.Optional, Type = PhysicalType.ByteArray,
                ConvertedType = ConvertedType.Decimal, Precision = 400, Scale = 350,
            },
        };
        var footer = new FileMetaData { Version = 1, Schema = schema, NumRows = 0, RowGroups = [] }.Serialize();

        using var reader = new ParquetFileReader(new MemoryStream(FooterOnly(footer)), Name);

        Assert.Contains("scale 350", reader.UnsupportedColumns["d"], StringComparison.Ordinal);
    }

    [Fact]
    public void A_zero_value_dictionary_page_needs_no_dictionary()
    {
        var leaf = LeafDecoder.Create(ColumnDescriptor.ForWriting(new ParquetField("x", ParquetType.Int64)));

        leaf.ReadValues(Encoding.RleDictionary, [], 0);

        Assert.Equal(0, leaf.Count);
    }

    [Fact]
    public void Our_own_file_with_a_40_MiB_string_reads_back_its_statistics_left_out()
    {
        // Min and max are copied whole into the footer: one long value made a footer past the reader's 64 MiB limit.
        var schema = new ParquetSchema(new ParquetField("text", ParquetType.String));
        var big = new string('a', 40 << 20);
        using var stream = new MemoryStream();
        using (var writer = new ParquetFileWriter(stream, schema, new ParquetWriterOptions { Compression = ParquetCompression.Zstd }, leaveOpen: true))
            writer.WriteRowGroup([ParquetColumn.Create(schema.Fields[0], new[] { big, "b" })]);

        using var reader = new ParquetFileReader(new MemoryStream(stream.ToArray()), Name);

        Assert.Equal(big, ((string?[])reader.ReadRowGroup(0).Columns[0].Values)[0]);
        var statistics = reader.GetStatistics(0, "text");
        Assert.Null(statistics?.Min);
        Assert.Null(statistics?.Max);
        Assert.Equal(0, statistics?.NullCount);
    }

    [Fact]
    public void Statistics_up_to_the_limit_are_kept()
    {
        var schema = new ParquetSchema(new ParquetField("text", ParquetType.String));
        var longest = new string('z', ColumnChunkWriter.MaxStatisticsValueBytes);
        using var stream = new MemoryStream();
        using (var writer = new ParquetFileWriter(stream, schema, leaveOpen: true))
            writer.WriteRowGroup([ParquetColumn.Create(schema.Fields[0], new[] { "a", longest })]);

        using var reader = new ParquetFileReader(new MemoryStream(stream.ToArray()), Name);

        var statistics = reader.GetStatistics(0, "text");
        Assert.Equal("a", statistics?.Min);
        Assert.Equal(longest, statistics?.Max);
    }

    private static (ParquetException Error, long Allocated) ReadRowGroupZero(byte[] file, string column)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Record.Exception(() =>
        {
            using var reader = new ParquetFileReader(new MemoryStream(file), Name);
            reader.ReadRowGroup(0, [column]);
        });
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        return (Assert.IsType<ParquetException>(error), allocated);
    }
}
