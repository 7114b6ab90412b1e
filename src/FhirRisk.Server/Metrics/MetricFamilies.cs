using System.Collections.Concurrent;

namespace FhirRisk.Server.Metrics;

/// <summary>One metric name with its help text, type and label names; writes its samples in the text format.</summary>
internal abstract class MetricFamily(string name, string help, string type, string[] labelNames)
{
    public string Name { get; } = name;

    protected string[] LabelNames { get; } = labelNames;

    public void Write(PrometheusText text)
    {
        text.Family(Name, help, type);
        WriteSamples(text);
    }

    protected abstract void WriteSamples(PrometheusText text);

    /// <summary>The series of one label-value tuple (created on first use), keyed so the output order is stable.</summary>
    protected static TSeries Series<TSeries>(ConcurrentDictionary<string, TSeries> series, string[] labelValues, Func<string[], TSeries> create)
        where TSeries : class =>
        series.GetOrAdd(string.Join('\u0000', labelValues), static (_, state) => state.create(state.labelValues), (create, labelValues));

    protected void CheckArity(string[] labelValues)
    {
        if (labelValues.Length != LabelNames.Length)
            throw new ArgumentException($"{Name} takes {LabelNames.Length} label values.", nameof(labelValues));
    }
}

/// <summary>A monotonically increasing count per label-value tuple (<c>counter</c>; the name ends in <c>_total</c>).</summary>
internal sealed class CounterFamily(string name, string help, params string[] labelNames) : MetricFamily(name, help, "counter", labelNames)
{
    private readonly ConcurrentDictionary<string, Count> _series = new(StringComparer.Ordinal);

    public void Increment(params string[] labelValues)
    {
        CheckArity(labelValues);
        Interlocked.Increment(ref Series(_series, labelValues, v => new Count(v)).Value);
    }

    protected override void WriteSamples(PrometheusText text)
    {
        foreach (var (_, series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
            text.Sample(Name, LabelNames, series.LabelValues, Interlocked.Read(ref series.Value));
    }

    private sealed class Count(string[] labelValues)
    {
        public long Value;

        public string[] LabelValues { get; } = labelValues;
    }
}

/// <summary>
/// Observations counted into buckets per label-value tuple (<c>histogram</c>): cumulative <c>_bucket</c> samples with
/// an <c>le</c> label for each upper bound and <c>+Inf</c> (equal to <c>_count</c>), then <c>_sum</c> and <c>_count</c>.
/// </summary>
internal sealed class HistogramFamily : MetricFamily
{
    private readonly double[] _bounds;
    private readonly ConcurrentDictionary<string, Buckets> _series = new(StringComparer.Ordinal);

    /// <param name="bounds">Upper bounds, ascending, finite; <c>+Inf</c> is implied.</param>
    public HistogramFamily(string name, string help, double[] bounds, params string[] labelNames)
        : base(name, help, "histogram", labelNames)
    {
        if (bounds.Length == 0 || bounds.Any(double.IsInfinity) || !bounds.Zip(bounds.Skip(1)).All(p => p.First < p.Second))
            throw new ArgumentException("Bucket bounds must be finite and strictly ascending.", nameof(bounds));
        _bounds = bounds;
    }

    public void Observe(double value, params string[] labelValues)
    {
        CheckArity(labelValues);
        var series = Series(_series, labelValues, v => new Buckets(v, _bounds.Length));
        var bucket = Array.FindIndex(_bounds, b => value <= b);
        lock (series)
        {
            series.Counts[bucket < 0 ? _bounds.Length : bucket]++;
            series.Sum += value;
        }
    }

    protected override void WriteSamples(PrometheusText text)
    {
        foreach (var (_, series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            long[] counts;
            double sum;
            lock (series)
                (counts, sum) = ([.. series.Counts], series.Sum);
            var cumulative = 0L;
            for (var i = 0; i < counts.Length; i++)
            {
                cumulative += counts[i];
                var bound = i < _bounds.Length ? _bounds[i] : double.PositiveInfinity;
                text.Sample(Name + "_bucket", LabelNames, series.LabelValues, cumulative, ("le", PrometheusText.Number(bound)));
            }
            text.Sample(Name + "_sum", LabelNames, series.LabelValues, sum);
            text.Sample(Name + "_count", LabelNames, series.LabelValues, cumulative);
        }
    }

    private sealed class Buckets(string[] labelValues, int bounds)
    {
        public string[] LabelValues { get; } = labelValues;

        /// <summary>Per bucket (not cumulative); the last is above every bound.</summary>
        public long[] Counts { get; } = new long[bounds + 1];

        public double Sum { get; set; }
    }
}

/// <summary>One unlabelled value read when scraped, from a component that keeps it (<c>gauge</c> or <c>counter</c>).</summary>
internal sealed class ObservedFamily(string name, string help, string type, Func<double> read) : MetricFamily(name, help, type, [])
{
    protected override void WriteSamples(PrometheusText text) => text.Sample(Name, LabelNames, [], read());
}

/// <summary>Values read when scraped, one per value of a single label (<c>gauge</c> or <c>counter</c>).</summary>
internal sealed class LabelledObservedFamily(string name, string help, string type, string labelName, Func<IEnumerable<(string Label, double Value)>> read)
    : MetricFamily(name, help, type, [labelName])
{
    protected override void WriteSamples(PrometheusText text)
    {
        foreach (var (label, value) in read())
            text.Sample(Name, LabelNames, [label], value);
    }
}
