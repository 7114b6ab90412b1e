using FhirRisk.Parquet;

namespace FhirRisk.Bench.Parquet;

/// <summary>
/// One MEDS data shard held column-wise in memory (DESIGN §3: MEDS v0.4 columns plus our <c>encounter_id</c>).
/// Null slots of value-typed columns hold 0 and are marked false in their validity array.
/// </summary>
internal sealed class MedsShard
{
    public MedsShard(int rowCount)
    {
        RowCount = rowCount;
        SubjectId = new long[rowCount];
        Time = new long[rowCount];
        TimeValid = new bool[rowCount];
        Code = new string[rowCount];
        NumericValue = new float[rowCount];
        NumericValid = new bool[rowCount];
        TextValue = new string?[rowCount];
        EncounterId = new long[rowCount];
        EncounterValid = new bool[rowCount];
    }

    public static ParquetSchema Schema { get; } = new(
        new ParquetField("subject_id", ParquetType.Int64, Nullable: false),
        ParquetField.Timestamp("time", nullable: true, TimestampUnit.Micros),
        new ParquetField("code", ParquetType.String, Nullable: false),
        new ParquetField("numeric_value", ParquetType.Float, Nullable: true),
        new ParquetField("text_value", ParquetType.String, Nullable: true),
        new ParquetField("encounter_id", ParquetType.Int64, Nullable: true));

    public int RowCount { get; }

    public long[] SubjectId { get; }

    /// <summary>Microseconds since the Unix epoch (naive, MEDS convention); 0 where <see cref="TimeValid"/> is false.</summary>
    public long[] Time { get; }

    public bool[] TimeValid { get; }

    public string[] Code { get; }

    public float[] NumericValue { get; }

    public bool[] NumericValid { get; }

    public string?[] TextValue { get; }

    public long[] EncounterId { get; }

    public bool[] EncounterValid { get; }

    /// <summary>The columns in schema order, wrapping (not copying) the arrays.</summary>
    public IReadOnlyList<ParquetColumn> ToColumns()
    {
        var fields = Schema.Fields;
        return
        [
            ParquetColumn.Create(fields[0], SubjectId),
            ParquetColumn.Create(fields[1], Time, TimeValid),
            ParquetColumn.Create(fields[2], Code),
            ParquetColumn.Create(fields[3], NumericValue, NumericValid),
            ParquetColumn.Create(fields[4], TextValue),
            ParquetColumn.Create(fields[5], EncounterId, EncounterValid),
        ];
    }
}
