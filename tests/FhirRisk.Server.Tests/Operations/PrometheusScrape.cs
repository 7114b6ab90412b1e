using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace FhirRisk.Server.Tests.Operations;

/// <summary>
/// A strict reader of the Prometheus text format (0.0.4) for tests: it fails on any line that breaks the format's rules
/// (HELP and TYPE once per family, before its samples; samples named for their family; histograms with ascending
/// <c>le</c> bounds ending in <c>+Inf</c>, cumulative counts, <c>+Inf</c> equal to <c>_count</c>, and <c>_sum</c>).
/// </summary>
internal sealed partial class PrometheusScrape
{
    private readonly Dictionary<string, string> _types = new(StringComparer.Ordinal);
    private readonly List<Sample> _samples = [];

    private PrometheusScrape()
    {
    }

    public IReadOnlyDictionary<string, string> Types => _types;

    public IReadOnlyList<Sample> Samples => _samples;

    public static PrometheusScrape Parse(string text)
    {
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var scrape = new PrometheusScrape();
        var helps = new HashSet<string>(StringComparer.Ordinal);
        string? family = null;
        foreach (var line in text[..^1].Split('\n'))
        {
            if (HelpLine().Match(line) is { Success: true } help)
            {
                Assert.True(helps.Add(help.Groups[1].Value), $"second HELP for {help.Groups[1].Value}");
                family = help.Groups[1].Value;
                continue;
            }
            if (TypeLine().Match(line) is { Success: true } type)
            {
                Assert.Equal(family, type.Groups[1].Value);
                Assert.True(scrape._types.TryAdd(type.Groups[1].Value, type.Groups[2].Value), $"second TYPE for {type.Groups[1].Value}");
                continue;
            }
            var sample = ParseSample(line);
            Assert.NotNull(family);
            var suffixes = scrape._types[family] == "histogram" ? new[] { "_bucket", "_sum", "_count" } : [""];
            Assert.Contains(suffixes, s => sample.Name == family + s);
            scrape._samples.Add(sample with { Family = family });
        }
        scrape.CheckHistograms();
        return scrape;
    }

    /// <summary>The value of the one sample named <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public double Value(string name, params (string Name, string Value)[] labels) =>
        Assert.Single(_samples, s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Name) == l.Value)).Value;

    /// <summary>Whether a sample named <paramref name="name"/> with <paramref name="labels"/> is there.</summary>
    public bool Has(string name, params (string Name, string Value)[] labels) =>
        _samples.Any(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Name) == l.Value));

    public IEnumerable<Sample> Named(string name) => _samples.Where(s => s.Name == name);

    private void CheckHistograms()
    {
        foreach (var (family, _) in _types.Where(t => t.Value == "histogram"))
        {
            var series = _samples.Where(s => s.Family == family).GroupBy(s => SeriesKey(s.Labels.Where(l => l.Key != "le")));
            foreach (var one in series)
            {
                var buckets = one.Where(s => s.Name == family + "_bucket").ToArray();
                Assert.NotEmpty(buckets);
                var bounds = buckets.Select(b => Bound(b.Labels["le"])).ToArray();
                Assert.Equal(double.PositiveInfinity, bounds[^1]);
                Assert.True(bounds.Zip(bounds.Skip(1)).All(p => p.First < p.Second), $"{family}: le bounds not ascending");
                Assert.True(buckets.Zip(buckets.Skip(1)).All(p => p.First.Value <= p.Second.Value), $"{family}: buckets not cumulative");
                Assert.Equal(buckets[^1].Value, Assert.Single(one, s => s.Name == family + "_count").Value);
                Assert.Single(one, s => s.Name == family + "_sum");
            }
        }
    }

    private static double Bound(string le) => le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);

    private static string SeriesKey(IEnumerable<KeyValuePair<string, string>> labels) =>
        string.Join(',', labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    private static Sample ParseSample(string line)
    {
        var match = SampleLine().Match(line);
        Assert.True(match.Success, $"not a sample line: {line}");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = match.Groups[2].Value;
        while (rest.Length > 0)
        {
            var label = LabelPair().Match(rest);
            Assert.True(label.Success, $"bad labels in: {line}");
            Assert.True(labels.TryAdd(label.Groups[1].Value, Unescape(label.Groups[2].Value)), $"repeated label in: {line}");
            rest = rest[label.Length..];
        }
        var value = match.Groups[3].Value switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new Sample(match.Groups[1].Value, labels, value, "");
    }

    private static string Unescape(string value)
    {
        var text = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '\\')
            {
                text.Append(value[i]);
                continue;
            }
            text.Append(value[++i] switch { 'n' => '\n', var c => c });
        }
        return text.ToString();
    }

    [GeneratedRegex(@"^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$")]
    private static partial Regex HelpLine();

    [GeneratedRegex(@"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"^,?([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\[\\""n])*)""")]
    private static partial Regex LabelPair();

    internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value, string Family);
}
