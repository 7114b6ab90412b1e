using FhirRisk.Testing;
using FhirRisk.Training.Pretraining;

namespace FhirRisk.Training.Tests.Pretraining;

/// <summary>
/// <c>metrics.jsonl</c> on a full disk: the failed append is the error the run reports (TR006), and closing the log
/// afterwards must not fail again on bytes left in a buffer — that second error replaced the first, with a stack trace
/// instead of the message saying what to do, and kept a new run's folder from being removed.
/// </summary>
public sealed class MetricsLogTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static StepMetrics Step(long step) => new(step, 2.5, 1e-3, 0.7, 1234.5, step % 2 == 0 ? 2.4 : null);

    [Fact]
    public void An_append_that_fails_throws_once_and_disposing_afterwards_does_not()
    {
        Assert.True(File.Exists("/dev/full"), "this test writes to /dev/full, which Linux provides");
        var folder = _temp.File("run");
        Directory.CreateDirectory(folder);
        // The log's first write (the kept lines, none here) renames this link into place; its appends then hit /dev/full.
        File.CreateSymbolicLink(Path.Combine(folder, MetricsLog.FileName + Core.DurableFiles.PartialSuffix), "/dev/full");
        var log = MetricsLog.Open(folder, keepThrough: 0);

        Assert.Throws<IOException>(() => log.Append(Step(1)));
        Assert.Empty(log.History);
        var disposing = Record.Exception(log.Dispose);

        Assert.Null(disposing);
    }

    [Fact]
    public void Lines_are_on_disk_as_soon_as_they_are_appended_and_a_resume_keeps_those_up_to_its_step()
    {
        var folder = _temp.File("run");
        Directory.CreateDirectory(folder);
        using (var log = MetricsLog.Open(folder, keepThrough: 0))
        {
            for (var step = 1; step <= 4; step++)
                log.Append(Step(step));
            Assert.Equal(4, File.ReadAllLines(Path.Combine(folder, MetricsLog.FileName)).Length);
        }

        using var resumed = MetricsLog.Open(folder, keepThrough: 2);
        Assert.False(File.Exists(Path.Combine(folder, MetricsLog.FileName + Core.DurableFiles.PartialSuffix)));
        resumed.Append(Step(3));

        Assert.Equal([1L, 2, 3], resumed.History.Select(m => m.Step));
        var lines = File.ReadAllLines(Path.Combine(folder, MetricsLog.FileName));
        Assert.Equal(3, lines.Length);
        Assert.Equal("{\"step\":2,\"loss\":2.5,\"lr\":0.001,\"grad_norm\":0.7,\"tokens_per_s\":1234.5,\"eval_loss\":2.4}", lines[1]);
    }
}
