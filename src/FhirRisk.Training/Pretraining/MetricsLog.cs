using System.Text;
using System.Text.Json;

namespace FhirRisk.Training.Pretraining;

/// <summary>One optimizer step as logged: the numbers a loss curve and a reader of <c>metrics.jsonl</c> need.</summary>
/// <param name="Step">Optimizer step (from 1).</param>
/// <param name="Loss">Mean training cross-entropy of the step's batch (nats per target token).</param>
/// <param name="LearningRate">The step's learning rate.</param>
/// <param name="GradientNorm">Global gradient norm before clipping.</param>
/// <param name="TokensPerSecond">B·T over the step's time: drawing its windows, forward, backward and optimizer.</param>
/// <param name="EvalLoss">Mean tuning cross-entropy when the step evaluated.</param>
public sealed record StepMetrics(long Step, double Loss, double LearningRate, double GradientNorm, double TokensPerSecond, double? EvalLoss);

/// <summary>
/// <c>metrics.jsonl</c>: one JSON object per step (docs/training.md "Metrics"), flushed as written so a crashed run
/// keeps its curve. A resumed run drops the lines after its checkpoint's step before appending, so the file always
/// tells one run's story.
/// </summary>
internal sealed class MetricsLog : IDisposable
{
    public const string FileName = "metrics.jsonl";

    private readonly List<StepMetrics> _history;
    private readonly StreamWriter _writer;

    private MetricsLog(string path, List<StepMetrics> history)
    {
        Path = path;
        _history = history;
        _writer = new StreamWriter(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write });
        foreach (var line in history)
            Write(line);
        _writer.Flush();
    }

    public string Path { get; }

    /// <summary>Every step logged, in order.</summary>
    public IReadOnlyList<StepMetrics> History => _history;

    /// <summary>Starts the log in <paramref name="directory"/>, keeping the steps up to <paramref name="keepThrough"/> of an existing one.</summary>
    public static MetricsLog Open(string directory, long keepThrough)
    {
        var path = System.IO.Path.Combine(directory, FileName);
        var kept = File.Exists(path) ? Read(path).Where(m => m.Step <= keepThrough).ToList() : [];
        return new MetricsLog(path, kept);
    }

    public void Append(StepMetrics metrics)
    {
        _history.Add(metrics);
        Write(metrics);
        _writer.Flush();
    }

    public void Dispose() => _writer.Dispose();

    private void Write(StepMetrics m)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("step", m.Step);
            json.WriteNumber("loss", m.Loss);
            json.WriteNumber("lr", m.LearningRate);
            json.WriteNumber("grad_norm", m.GradientNorm);
            json.WriteNumber("tokens_per_s", Math.Round(m.TokensPerSecond, 1));
            if (m.EvalLoss is { } eval)
                json.WriteNumber("eval_loss", eval);
            json.WriteEndObject();
        }
        _writer.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>The lines of an earlier session; a torn last line (a crash mid-write) is dropped.</summary>
    private static IEnumerable<StepMetrics> Read(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            StepMetrics? metrics;
            try
            {
                using var json = JsonDocument.Parse(line);
                var root = json.RootElement;
                metrics = new StepMetrics(root.GetProperty("step").GetInt64(), root.GetProperty("loss").GetDouble(), root.GetProperty("lr").GetDouble(),
                    root.GetProperty("grad_norm").GetDouble(), root.GetProperty("tokens_per_s").GetDouble(),
                    root.TryGetProperty("eval_loss", out var eval) ? eval.GetDouble() : null);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                metrics = null;
            }
            if (metrics is not null)
                yield return metrics;
        }
    }
}
