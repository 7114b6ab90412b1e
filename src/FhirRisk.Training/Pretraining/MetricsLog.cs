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
/// <c>metrics.jsonl</c>: one JSON object per step (docs/training.md "Metrics"), written unbuffered, line by line, so a
/// crashed run keeps its curve. A line that cannot be written (a full disk) is cut back off the file and the error
/// thrown; nothing is left in a buffer for a later flush to fail on again, so disposing the log never throws and never
/// hides the error the run reports. A resumed run drops the lines after its checkpoint's step before appending, so the
/// file always tells one run's story.
/// </summary>
internal sealed class MetricsLog : IDisposable
{
    public const string FileName = "metrics.jsonl";

    private readonly List<StepMetrics> _history;
    private FileStream _file;
    private long _length;

    private MetricsLog(string path, List<StepMetrics> history)
    {
        Path = path;
        _history = history;
        _file = Rewrite(path, history);
        _length = _file.Length;
    }

    /// <summary>The kept lines replace the file as a whole (a crash while they are written leaves the earlier curve); the
    /// stream returned appends to it.</summary>
    private static FileStream Rewrite(string path, List<StepMetrics> history)
    {
        Core.DurableFiles.Write(path, stream =>
        {
            foreach (var line in history)
                stream.Write(Line(line));
        });
        return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
    }

    public string Path { get; }

    /// <summary>Every step logged, in order.</summary>
    public IReadOnlyList<StepMetrics> History => _history;

    /// <summary>Starts the log in <paramref name="directory"/>, keeping the steps up to <paramref name="keepThrough"/> of an existing one.</summary>
    public static MetricsLog Open(string directory, long keepThrough)
    {
        var path = System.IO.Path.Combine(directory, FileName);
        var kept = keepThrough > 0 && File.Exists(path) ? Read(path).Where(m => m.Step <= keepThrough).ToList() : [];
        return new MetricsLog(path, kept);
    }

    public void Append(StepMetrics metrics)
    {
        Write(metrics);
        _history.Add(metrics);
    }

    /// <summary>Replaces the last line logged (a step whose tuning loss came later, after a stop) with <paramref name="metrics"/>:
    /// the file is written anew as a whole, as at the start (an append stream cannot cut back what it found).</summary>
    public void ReplaceLast(StepMetrics metrics)
    {
        _history[^1] = metrics;
        _file.Dispose();
        _file = Rewrite(Path, _history);
        _length = _file.Length;
    }

    public void Dispose()
    {
        try
        {
            _file.Dispose();
        }
        catch (IOException)
        {
            // Every line was written or cut back as it was appended: nothing is lost here.
        }
    }

    private void Write(StepMetrics m)
    {
        var line = Line(m);
        try
        {
            _file.Write(line);
            _length += line.Length;
        }
        catch (IOException)
        {
            // No torn line: the next run's reader would drop it, but a resumed run appends after it.
            try
            {
                _file.SetLength(_length);
                _file.Position = _length;
            }
            catch (IOException)
            {
                // The file keeps a torn last line, which Read drops.
            }
            throw;
        }
    }

    private static byte[] Line(StepMetrics m)
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
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
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
