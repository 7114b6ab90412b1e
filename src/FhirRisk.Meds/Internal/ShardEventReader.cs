using FhirRisk.Core;
using FhirRisk.Parquet;

namespace FhirRisk.Meds.Internal;

/// <summary>Streams one event shard row group by row group (bounded memory) and turns rows into <see cref="MedsEvent"/>s.</summary>
internal static class ShardEventReader
{
    public static IEnumerable<(EventBatch Batch, long FirstRow)> ReadBatches(MedsShard shard, MedsEventColumns columns, ParquetReaderOptions? options)
    {
        using var reader = ParquetFileReader.Open(shard.FullPath, options);
        var issues = new List<Issue>();
        var layout = EventColumnLayout.Resolve(reader.Schema, shard.RelativePath, issues);
        ColumnRules.ThrowOnError(issues);
        var names = layout!.ColumnsToRead(columns);
        long firstRow = 0;
        for (var group = 0; group < reader.RowGroupCount; group++)
        {
            var batch = EventBatch.Decode(reader.ReadRowGroup(group, names), layout);
            yield return (batch, firstRow);
            firstRow += batch.RowCount;
        }
    }

    /// <summary>The event at <paramref name="row"/>; throws <see cref="MedsFormatException"/> on a null subject id or code.</summary>
    public static MedsEvent ToEvent(EventBatch batch, int row, MedsShard shard, long firstRow)
    {
        if (!batch.HasSubjectId(row))
            throw new MedsFormatException(Issue.Error(MedsIssueCodes.NullSubjectId, RowPath(shard, firstRow + row), "Null subject_id."));
        DateTime? time = null;
        if (batch.HasTime(row))
        {
            if (!MedsTime.TryFromMicroseconds(batch.TimeMicros![row], out var value))
                throw new MedsFormatException(Issue.Error(MedsIssueCodes.TimeOutOfRange, RowPath(shard, firstRow + row),
                    $"Time {batch.TimeMicros[row]} µs since 1970 is outside years 1..9999."));
            time = value;
        }
        var code = "";
        if (batch.Codes is not null)
            code = batch.Codes[row] ?? throw new MedsFormatException(Issue.Error(MedsIssueCodes.NullCode, RowPath(shard, firstRow + row), "Null code."));
        return new MedsEvent(batch.SubjectIds[row], time, code, batch.NumericValue(row), batch.TextValues?[row], batch.EncounterId(row));
    }

    public static string RowPath(MedsShard shard, long row) => $"{shard.RelativePath}:row {row}";
}
