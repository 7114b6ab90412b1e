using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds.Tasks;
using FhirRisk.Model.Cpu;

namespace FhirRisk.Inference.Generation;

/// <summary>
/// Samples futures of a patient (DESIGN §7 "generate future trajectories"): one request of
/// <see cref="TrajectorySettings.Count"/> rollouts on the predictor's shared scheduler (so it batches with predictions),
/// judged by a task whose positive codes are the stop codes and whose time limit is the horizon — the same judge, window
/// slides and random streams as risk rollouts (docs/inference.md) — then decoded to MEDS events with the tokenizer's
/// clock (<see cref="Tokenizer.TimelineTokenizer.Decode"/>), as <c>fhirrisk generate</c> decodes synthetic patients.
/// </summary>
public sealed class TrajectoryGenerator(InferenceSession session, RolloutRiskPredictor rollouts)
{
    /// <summary>Trajectories continuing <paramref name="prompt"/>, in stream order.</summary>
    /// <param name="prompt">The static prefix and the history up to the prediction point (<see cref="InferenceSession.RolloutPrompt"/>),
    /// or a static prefix alone (<see cref="Tokenizer.TimelineTokenizer.PrefixAt"/>).</param>
    /// <param name="origin">The time of the prompt's last timeline token (for a prefix alone, the time it was built at): the clock's start.</param>
    /// <param name="settings">Count, budget, horizon, temperature, seed and stop codes.</param>
    /// <param name="cancellationToken">Evicts the rollouts.</param>
    public async Task<IReadOnlyList<GeneratedTrajectory>> GenerateAsync(int[] prompt, DateTime origin, TrajectorySettings settings,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var task = new TaskDefinition("trajectory", "a sampled future", new PredictionPoint("now", StayKind.Hospital, StayBoundary.Start),
            CodeSet.Empty, new CodeSet([.. settings.StopCodes]), settings.Horizon ?? TimeSpan.MaxValue, null, UnresolvedOutcome.Excluded);
        var sampling = new RolloutSettings
        {
            Seed = settings.Seed,
            MinRollouts = settings.Count,
            MaxRollouts = settings.Count,
            MaxNewTokens = settings.MaxNewTokens,
            KeepTokens = true,
            Sampling = new SamplingSettings(settings.Temperature),
        };
        var result = await rollouts.RunAsync(new RolloutRequest(prompt, [task], sampling), cancellationToken).ConfigureAwait(false);
        return [.. result.Tokens.Select((tokens, i) => new GeneratedTrajectory(
            session.Tokenizer.Decode(tokens, 0, origin), EndOf(result.Outcomes[i][0]), tokens.Length))];
    }

    /// <summary>The judge's outcome in generation's words: a stop code decided it, the horizon passed, the timeline ended,
    /// or (no outcome) the budget ran out first.</summary>
    private static TrajectoryEnd EndOf(TaskOutcome? outcome) => outcome?.Kind switch
    {
        TaskOutcomeKind.Stop => TrajectoryEnd.StopCode,
        TaskOutcomeKind.TimeLimit => TrajectoryEnd.Horizon,
        TaskOutcomeKind.Censored => TrajectoryEnd.TimelineEnd,
        _ => TrajectoryEnd.MaxTokens,
    };
}
