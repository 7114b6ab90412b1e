using System.Text.Json;
using FhirRisk.Meds;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Cli.Tests;

/// <summary>Structural checks on <c>fhirrisk predict --method heads</c> output: which points must have a row, and that
/// every row is a probability.</summary>
internal static class HeadsPredictionChecks
{
    /// <summary>Asserts that <paramref name="rows"/> hold exactly one row per labelled point of each task, except the
    /// points before their subject's first token (nothing to prompt with), and that every probability lies in [0, 1].</summary>
    public static void AssertEveryLabelledPointScored(string tokensFolder, string labelsFolder, IReadOnlyList<string> tasks, IReadOnlyList<Prediction> rows)
    {
        var firstTimes = FirstTokenTimes(tokensFolder);
        var expected = new HashSet<(string, long, long)>();
        foreach (var task in tasks)
        {
            var folder = Path.Combine(labelsFolder, "labels", task);
            if (!Directory.Exists(folder))
                continue;
            foreach (var label in MedsLabels.ReadTask(folder))
            {
                if (label.BooleanValue is not null && firstTimes.TryGetValue(label.SubjectId, out var first) && Micros(label.PredictionTime) >= first)
                    expected.Add((task, label.SubjectId, label.PredictionTime.Ticks));
            }
        }
        var actual = rows.Select(r => (r.Task, r.SubjectId, r.PredictionTime.Ticks)).ToArray();

        Assert.NotEmpty(expected);
        Assert.Equal(actual.Length, actual.Distinct().Count());
        Assert.True(expected.SetEquals(actual), $"{expected.Count} labelled points after the first token, {actual.Length} rows, {expected.Intersect(actual).Count()} in common");
        Assert.All(rows, r => Assert.True(double.IsFinite(r.Probability) && r.Probability is >= 0 and <= 1, $"{r.Task}: {r.Probability}"));
        Assert.All(rows, r => Assert.Equal("heads", r.Method));
    }

    /// <summary>The 95% interval bounds of every metric of every run in a report's metrics.json, by (task, metric).</summary>
    public static IReadOnlyList<(string Task, string Metric, double? Lower, double? Upper)> Intervals(string reportFolder)
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(reportFolder, "metrics.json")));
        var intervals = new List<(string, string, double?, double?)>();
        foreach (var run in json.RootElement.GetProperty("runs").EnumerateArray())
        {
            foreach (var metric in new[] { "auroc", "average_precision", "brier", "ece" })
            {
                var value = run.GetProperty(metric);
                intervals.Add((run.GetProperty("task").GetString()!, metric, Number(value, "lower"), Number(value, "upper")));
            }
        }
        return intervals;
    }

    private static double? Number(JsonElement metric, string name) =>
        metric.ValueKind == JsonValueKind.Object && metric.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private static Dictionary<long, long> FirstTokenTimes(string tokensFolder)
    {
        var first = new Dictionary<long, long>();
        foreach (var path in Directory.EnumerateFiles(tokensFolder, "*" + DatasetTokenization.ShardExtension, SearchOption.AllDirectories))
        {
            using var shard = TokenShard.Open(path);
            var ids = shard.SubjectIds.ToArray();
            for (var i = 0; i < ids.Length; i++)
            {
                if (shard.Times(i) is { Length: > 0 } times)
                    first[ids[i]] = times[0];
            }
        }
        return first;
    }

    private static long Micros(DateTime time) => (time.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;
}
