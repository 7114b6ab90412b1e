using FhirRisk.Training.Pretraining;

namespace FhirRisk.Training.Tests.Pretraining;

/// <summary>Settings of a model small enough to train in well under a second per dozen steps, and run helpers.</summary>
internal static class TinyRuns
{
    public static PretrainingSettings Settings { get; } = new()
    {
        Layers = 1,
        Heads = 2,
        Channels = 16,
        ContextLength = 16,
        Dropout = 0.1f,
        BatchSize = 4,
        Steps = 6,
        LearningRate = 1e-2,
        WarmupSteps = 2,
        EvalEvery = 2,
        EvalBatches = 2,
        CheckpointEvery = 0,
        Seed = 5,
        Threads = 1,
    };

    /// <summary>Runs until step <paramref name="stopAfter"/>, where the token is cancelled as Ctrl-C would.</summary>
    public static PretrainingResult RunUntil(Pretrainer trainer, long stopAfter)
    {
        using var cancellation = new CancellationTokenSource();
        return trainer.Run(new Callback(p =>
        {
            if (p.Step == stopAfter)
                cancellation.Cancel();
        }), cancellation.Token);
    }

    /// <summary>Reports synchronously on the training thread (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    public sealed class Callback(Action<PretrainingProgress> report) : IProgress<PretrainingProgress>
    {
        public void Report(PretrainingProgress value) => report(value);
    }
}
