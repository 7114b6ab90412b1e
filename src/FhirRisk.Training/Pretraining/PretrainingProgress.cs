namespace FhirRisk.Training.Pretraining;

/// <summary>Reported after every optimizer step of <see cref="Pretrainer.Run"/>.</summary>
/// <param name="Step">Steps taken.</param>
/// <param name="Steps">Steps of the whole run.</param>
/// <param name="Metrics">The step's loss, learning rate, gradient norm, throughput and (when it evaluated) tuning loss.</param>
/// <param name="TokensPerSecond">Mean throughput of this session's steps (B·T per second of training time).</param>
/// <param name="BestEvalLoss">The lowest tuning loss so far.</param>
public sealed record PretrainingProgress(long Step, long Steps, StepMetrics Metrics, double TokensPerSecond, double? BestEvalLoss);

/// <summary>What a <see cref="Pretrainer.Run"/> session did.</summary>
/// <param name="Directory">Where the model and checkpoints are.</param>
/// <param name="Step">Steps taken by the run (all sessions).</param>
/// <param name="Steps">Steps the run is configured for.</param>
/// <param name="Cancelled">The session stopped on cancellation after saving a resumable checkpoint (or, with
/// <see cref="NothingSaved"/>, before its first step, saving nothing).</param>
/// <param name="FirstLoss">The training loss of this session's first step (null when it took none).</param>
/// <param name="LastLoss">The training loss of the run's latest step.</param>
/// <param name="BestEvalLoss">The lowest tuning loss of the run; the model directory holds those weights.</param>
/// <param name="BestStep">The step of <paramref name="BestEvalLoss"/>.</param>
/// <param name="TokensPerSecond">Mean throughput of this session's steps.</param>
/// <param name="Elapsed">Wall time of the session, evaluation and saving included.</param>
public sealed record PretrainingResult(
    ModelDirectory Directory,
    long Step,
    long Steps,
    bool Cancelled,
    double? FirstLoss,
    double? LastLoss,
    double? BestEvalLoss,
    long? BestStep,
    double TokensPerSecond,
    TimeSpan Elapsed)
{
    /// <summary>A new run stopped before its first step: nothing was saved and the model directory was removed.</summary>
    public bool NothingSaved { get; init; }

    /// <summary>Cancelled within a step's forward or backward pass: that step was abandoned, not applied, and a resume
    /// takes it again.</summary>
    public bool StepAbandoned { get; init; }

    /// <summary>Why <c>loss.png</c> could not be written (a full disk), or null. The run, its checkpoint and its model are
    /// saved all the same: a missing chart is no reason to fail it, and the curve's numbers are in <c>metrics.jsonl</c>.</summary>
    public string? LossCurveNotWritten { get; init; }

    /// <summary>Why the model directory holds the last step's weights rather than the best: the best weights' save had
    /// been torn or its record damaged (a resume repairs the directory this way), or null.</summary>
    public string? BestWeightsLost { get; init; }
}
