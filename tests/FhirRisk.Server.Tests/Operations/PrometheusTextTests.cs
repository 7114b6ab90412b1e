using FhirRisk.Server.Metrics;

namespace FhirRisk.Server.Tests.Operations;

public sealed class PrometheusTextTests
{
    [Fact]
    public void Label_values_and_help_are_escaped_and_histograms_are_cumulative_with_inf_sum_and_count()
    {
        var registry = new MetricRegistry();
        var counter = registry.Add(new CounterFamily("test_total", "A counter with a \\ and a\nline feed.", "path"));
        var histogram = registry.Add(new HistogramFamily("test_seconds", "A histogram.", [0.1, 1], "kind"));
        counter.Increment("a\"b\\c\nd");
        counter.Increment("a\"b\\c\nd");
        foreach (var value in new[] { 0.05, 0.1, 0.5, 3 })
            histogram.Observe(value, "x");

        var text = registry.Scrape();
        var scrape = PrometheusScrape.Parse(text);

        Assert.Contains("# HELP test_total A counter with a \\\\ and a\\nline feed.\n", text, StringComparison.Ordinal);
        Assert.Contains("test_total{path=\"a\\\"b\\\\c\\nd\"} 2\n", text, StringComparison.Ordinal);
        Assert.Equal(2, scrape.Value("test_total", ("path", "a\"b\\c\nd")));
        Assert.Equal(2, scrape.Value("test_seconds_bucket", ("kind", "x"), ("le", "0.1")));
        Assert.Equal(3, scrape.Value("test_seconds_bucket", ("kind", "x"), ("le", "1")));
        Assert.Equal(4, scrape.Value("test_seconds_bucket", ("kind", "x"), ("le", "+Inf")));
        Assert.Equal(4, scrape.Value("test_seconds_count", ("kind", "x")));
        Assert.Equal(3.65, scrape.Value("test_seconds_sum", ("kind", "x")), 1e-12);
    }

    [Fact]
    public void A_name_registered_twice_and_unordered_buckets_are_refused()
    {
        var registry = new MetricRegistry();
        registry.Add(new CounterFamily("twice_total", "help"));
        Assert.Throws<InvalidOperationException>(() => registry.Add(new CounterFamily("twice_total", "help")));
        Assert.Throws<ArgumentException>(() => new HistogramFamily("h", "help", [1, 0.5]));
        Assert.Throws<ArgumentException>(() => new CounterFamily("c_total", "help", "a").Increment("x", "y"));
    }

    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(0.005, "0.005")]
    [InlineData(12.0, "12")]
    public void Numbers_use_the_formats_spelling(double value, string expected) => Assert.Equal(expected, PrometheusText.Number(value));
}
