using FhirRisk.Parquet;

namespace FhirRisk.Meds.Internal;

/// <summary>
/// One row group of an event shard decoded to flat arrays: times rescaled to microseconds, float64 values narrowed.
/// A column that was not read (projection) or does not exist is null.
/// </summary>
internal sealed class EventBatch
{
    private EventBatch(int rowCount) => RowCount = rowCount;

    public int RowCount { get; }

    public long[] SubjectIds { get; private init; } = [];

    public bool[]? SubjectIdValidity { get; private init; }

    public long[]? TimeMicros { get; private init; }

    public bool[]? TimeValidity { get; private init; }

    public string?[]? Codes { get; private init; }

    public float[]? NumericValues { get; private init; }

    public bool[]? NumericValidity { get; private init; }

    public string?[]? TextValues { get; private init; }

    public long[]? EncounterIds { get; private init; }

    public bool[]? EncounterValidity { get; private init; }

    public static EventBatch Decode(ParquetRowGroup rowGroup, EventColumnLayout layout)
    {
        var subject = rowGroup[MedsSchema.SubjectIdColumn];
        rowGroup.TryGetColumn(MedsSchema.TimeColumn, out var time);
        rowGroup.TryGetColumn(MedsSchema.CodeColumn, out var code);
        rowGroup.TryGetColumn(MedsSchema.NumericValueColumn, out var numeric);
        rowGroup.TryGetColumn(MedsSchema.TextValueColumn, out var text);
        rowGroup.TryGetColumn(MedsSchema.EncounterIdColumn, out var encounter);

        var times = time?.As<long>();
        if (times is not null)
            MedsTime.RescaleToMicroseconds(times, layout.TimeUnit);

        return new EventBatch(rowGroup.RowCount)
        {
            SubjectIds = subject.As<long>(),
            SubjectIdValidity = subject.Validity,
            TimeMicros = times,
            TimeValidity = time?.Validity,
            Codes = code?.As<string?>(),
            NumericValues = numeric is null ? null : layout.NumericIsDouble ? Narrow(numeric.As<double>()) : numeric.As<float>(),
            NumericValidity = numeric?.Validity,
            TextValues = text?.As<string?>(),
            EncounterIds = encounter?.As<long>(),
            EncounterValidity = encounter?.Validity,
        };
    }

    public bool HasSubjectId(int row) => SubjectIdValidity is null || SubjectIdValidity[row];

    public bool HasTime(int row) => TimeMicros is not null && (TimeValidity is null || TimeValidity[row]);

    public float? NumericValue(int row) =>
        NumericValues is not null && (NumericValidity is null || NumericValidity[row]) ? NumericValues[row] : null;

    public long? EncounterId(int row) =>
        EncounterIds is not null && (EncounterValidity is null || EncounterValidity[row]) ? EncounterIds[row] : null;

    private static float[] Narrow(double[] values)
    {
        var narrowed = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
            narrowed[i] = (float)values[i];
        return narrowed;
    }
}
