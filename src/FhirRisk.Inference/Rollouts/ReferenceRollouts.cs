using FhirRisk.Model.Compute;
using FhirRisk.Model.Gpt;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// ETHOS's rollout method without a KV cache (ethos.md §3.1): every step runs the whole window through
/// <see cref="GptModel.Forward(ReadOnlySpan{int}, int, int, DropoutKey?)"/> and samples from the last position's logits;
/// rollouts run one after another in index order. Slow by design — it is the oracle the cached
/// <see cref="RolloutScheduler"/> must equal token for token, and the peer <c>bench rollout</c> will time it against.
/// The windows, the judge, the random streams and the stopping count are the scheduler's own
/// (<see cref="RolloutSequence"/>, <see cref="RolloutTally"/>), so only the caching differs.
/// </summary>
public static class ReferenceRollouts
{
    /// <summary>Answers <paramref name="request"/> by recomputing the window at every step.</summary>
    /// <param name="parameters">The model.</param>
    /// <param name="meanings">The tokenizer's ids as the judge reads them.</param>
    /// <param name="prefixLength">P, the static prefix of the prompt.</param>
    /// <param name="slide">The window slide (<see cref="ContextWindow"/>); null for the default.</param>
    /// <param name="backend">Where to run; not owned.</param>
    public static RolloutResult Run(GptParameters parameters, TokenMeanings meanings, int prefixLength, RolloutRequest request, int? slide, IComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(meanings);
        ArgumentNullException.ThrowIfNull(request);
        request.Settings.Validate();
        var config = parameters.Config;
        var (t, vp) = (config.ContextLength, config.PaddedVocabSize);
        var windowSlide = slide ?? ContextWindow.DefaultSlide(prefixLength, t);
        using var model = new GptModel(parameters, 1, backend);
        var tally = new RolloutTally(request);
        var scratch = new ulong[meanings.Count];
        for (var index = 0; !tally.Complete; index++)
        {
            var sequence = new RolloutSequence(request, index, prefixLength, t, windowSlide, meanings);
            bool done;
            do
            {
                var window = sequence.WindowTokens();
                model.Forward(window, 1, window.Length);
                var logits = model.ReadLogits();
                done = sequence.Accept(sequence.Sample(logits.AsSpan((window.Length - 1) * vp, vp), scratch));
            }
            while (!done);
            tally.Add(index, sequence.Judge.Outcomes, [.. sequence.Generated], sequence.TracksHazard ? sequence.Judge.Hazards : null);
        }
        return tally.Result();
    }
}
