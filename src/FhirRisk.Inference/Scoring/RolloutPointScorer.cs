using System.Diagnostics;
using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;

namespace FhirRisk.Inference.Scoring;

/// <summary>One point's rollout estimate for the task asked.</summary>
/// <param name="Point">The point.</param>
/// <param name="Estimate">k of n and the excluded and ambiguous rollouts; <see cref="TaskEstimate.Risk"/> is NaN when no rollout settled the task.</param>
/// <param name="GeneratedTokens">Tokens the counted rollouts generated.</param>
public sealed record ScoredPoint(LabelledPoint Point, TaskEstimate Estimate, long GeneratedTokens);

/// <summary>How far <see cref="RolloutPointScorer.ScoreAsync"/> is.</summary>
public sealed record ScoringProgress(int Done, int Total, long GeneratedTokens, TimeSpan Elapsed);

/// <summary>
/// Scores labelled points by rollouts (issue 6 item 5: <c>fhirrisk evaluate</c> over zero-shot rollouts) through one
/// <see cref="RolloutRiskPredictor"/>, keeping <paramref name="concurrentPoints"/> requests queued so their rollouts share
/// decode steps while each request's rollouts still find their siblings' prompt in the cache (R rollouts of a prompt
/// prefill it once, docs/inference.md "Scheduler"). Each answer depends only on the model, the prompt and the settings,
/// so the scores do not depend on the concurrency.
/// </summary>
public static class RolloutPointScorer
{
    public static async Task<IReadOnlyList<ScoredPoint>> ScoreAsync(RolloutRiskPredictor predictor, InferenceSession session, string task,
        IReadOnlyList<LabelledPoint> points, RolloutSettings settings, int concurrentPoints, IProgress<ScoringProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrentPoints, 1);
        var definition = session.Task(task);
        var clock = Stopwatch.StartNew();
        var results = new ScoredPoint[points.Count];
        using var gate = new SemaphoreSlim(concurrentPoints);
        var (done, tokens) = (0, 0L);
        var running = new List<Task>(points.Count);
        for (var i = 0; i < points.Count; i++)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            var index = i;
            running.Add(Score(index));
        }
        await Task.WhenAll(running).ConfigureAwait(false);
        return results;

        async Task Score(int index)
        {
            try
            {
                var point = points[index];
                var (asked, start) = point.Asked ?? (definition, QuestionStart.AtPoint);
                var result = await predictor.RunAsync(new RolloutRequest(point.Prompt, [asked], settings) { Starts = [start] }, cancellationToken).ConfigureAwait(false);
                results[index] = new ScoredPoint(point, result.Tasks[0], result.GeneratedTokens);
                var (d, t) = (Interlocked.Increment(ref done), Interlocked.Add(ref tokens, result.GeneratedTokens));
                progress?.Report(new ScoringProgress(d, points.Count, t, clock.Elapsed));
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
