using System.Numerics;
using FhirRisk.Parquet;

namespace FhirRisk.Bench.Parquet;

/// <summary>Adds up <see cref="MedsAggregates"/> one row group at a time, touching every value.</summary>
internal sealed class MedsAggregateAccumulator
{
    private long _rows;
    private WideSum _subjectIds;
    private WideSum _times;
    private WideSum _encounters;
    private long _timeCount;
    private long _codeLengths;
    private long _numericCount;
    private double _numericSum;
    private long _textCount;
    private long _textLengths;
    private long _encounterCount;

    /// <summary>The aggregates of a shard held in memory: the expected answer for every reader.</summary>
    public static MedsAggregates Of(MedsShard shard)
    {
        var accumulator = new MedsAggregateAccumulator();
        accumulator.Add(new ParquetRowGroup(0, shard.RowCount, shard.ToColumns()));
        return accumulator.Result;
    }

    public MedsAggregates Result => new(
        _rows, _subjectIds.Value, _timeCount, _times.Value, _codeLengths, _numericCount, _numericSum,
        _textCount, _textLengths, _encounterCount, _encounters.Value);

    public void Add(ParquetRowGroup rowGroup)
    {
        _rows += rowGroup.RowCount;
        _subjectIds.Add(rowGroup["subject_id"].As<long>());
        _timeCount += _times.Add(rowGroup["time"]);
        _codeLengths += SumLengths(rowGroup["code"], out _);
        _numericSum += SumFloats(rowGroup["numeric_value"], out var numericCount);
        _numericCount += numericCount;
        _textLengths += SumLengths(rowGroup["text_value"], out var textCount);
        _textCount += textCount;
        _encounterCount += _encounters.Add(rowGroup["encounter_id"]);
    }

    private static double SumFloats(ParquetColumn column, out long present)
    {
        // Null slots hold 0 (ParquetColumn contract), so summing every slot equals summing the present values.
        var sum = 0.0;
        foreach (var value in column.As<float>())
            sum += value;
        present = CountPresent(column);
        return sum;
    }

    private static long SumLengths(ParquetColumn column, out long present)
    {
        long length = 0;
        present = 0;
        foreach (var value in column.As<string?>())
        {
            if (value is null)
                continue;
            present++;
            length += value.Length;
        }

        return length;
    }

    private static long CountPresent(ParquetColumn column) =>
        column.Validity is null ? column.Length : column.Validity.AsSpan().Count(true);

    /// <summary>
    /// A sum of int64 values that cannot overflow (SQL's sum of BIGINT is a 128-bit HUGEINT): the high and low
    /// 32-bit halves are summed separately in SIMD lanes — each stays below 2^63 for up to 2^31 values — and
    /// combined at the end.
    /// </summary>
    private struct WideSum
    {
        private Int128 _total;

        public readonly Int128 Value => _total;

        /// <summary>Adds every slot of an int64/timestamp column (null slots hold 0); returns how many are present.</summary>
        public long Add(ParquetColumn column)
        {
            Add(column.As<long>());
            return CountPresent(column);
        }

        public void Add(ReadOnlySpan<long> values)
        {
            var high = Vector<long>.Zero;
            var low = Vector<long>.Zero;
            var lowMask = new Vector<long>(0xFFFF_FFFFL);
            var i = 0;
            for (; i <= values.Length - Vector<long>.Count; i += Vector<long>.Count)
            {
                var v = new Vector<long>(values[i..]);
                high += Vector.ShiftRightArithmetic(v, 32);
                low += v & lowMask;
            }

            long highSum = Vector.Sum(high), lowSum = Vector.Sum(low);
            for (; i < values.Length; i++)
            {
                highSum += values[i] >> 32;
                lowSum += values[i] & 0xFFFF_FFFFL;
            }

            _total += ((Int128)highSum << 32) + lowSum;
        }
    }
}
