using FhirRisk.Inference;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Model.Cpu;
using FhirRisk.Tokenizer;

namespace FhirRisk.Synthetic.Generation;

/// <summary>One generated patient, decoded to MEDS events.</summary>
/// <param name="SubjectId">The synthetic subject id (1 … N).</param>
/// <param name="Events">Static rows and <c>MEDS_BIRTH</c> from the prompt, then the decoded timeline.</param>
/// <param name="Tokens">Tokens generated.</param>
/// <param name="Ended">True when the model ended the timeline (<c>TIMELINE_END</c>); false when the token budget or the
/// time limit cut it.</param>
internal sealed record GeneratedPatient(long SubjectId, IReadOnlyList<MedsEvent> Events, int Tokens, bool Ended);

/// <summary>
/// Samples whole timelines after static prefixes with the rollout scheduler (continuous batching, KV cache, window
/// slides: docs/inference.md), one rollout per patient, each on its own random stream (the request key is the patient
/// number). A rollout of a whole timeline is judged by a task with no stop code: it ends at <c>TIMELINE_END</c>, at
/// <see cref="GenerationSettings.TimeLimit"/> of generated time, or at the token budget. Tokens decode to MEDS events
/// with the tokenizer's clock (<see cref="TimelineTokenizer.Decode"/>), starting at the prompt's date.
/// </summary>
internal static class TimelineSampler
{
    /// <summary>Patients enqueued together: enough to fill the decode steps, few enough to stream the output.</summary>
    private const int ChunkSize = 128;

    public static IEnumerable<GeneratedPatient> Generate(InferenceSession session, IReadOnlyList<StaticPrompt> prompts, GenerationSettings settings, CancellationToken cancellationToken)
    {
        var task = new TaskDefinition("synthetic_timeline", "a whole timeline", new PredictionPoint("start", StayKind.Hospital, StayBoundary.Start),
            CodeSet.Empty, CodeSet.Empty, settings.TimeLimit, null, UnresolvedOutcome.Excluded);
        var rollouts = new RolloutSettings
        {
            Seed = settings.Seed,
            MinRollouts = 1,
            MaxRollouts = 1,
            MaxNewTokens = settings.MaxNewTokens,
            KeepTokens = true,
            Sampling = new SamplingSettings(settings.Temperature),
        };
        using var scheduler = session.CreateScheduler();
        for (var first = 0; first < prompts.Count; first += ChunkSize)
        {
            var tickets = new List<RolloutTicket>();
            for (var i = first; i < Math.Min(prompts.Count, first + ChunkSize); i++)
                tickets.Add(scheduler.Enqueue(new RolloutRequest(prompts[i].Prefix, [task], rollouts) { Key = (ulong)i + 1 }));
            while (scheduler.HasWork)
            {
                cancellationToken.ThrowIfCancellationRequested();
                scheduler.Step();
            }
            for (var t = 0; t < tickets.Count; t++)
            {
                var index = first + t;
                yield return Decode(session.Tokenizer, index + 1, prompts[index], tickets[t].Result!.Tokens[0]);
            }
        }
    }

    private static GeneratedPatient Decode(TimelineTokenizer tokenizer, long subjectId, StaticPrompt prompt, int[] tokens)
    {
        var events = new List<MedsEvent>(tokenizer.DecodePrefix(prompt.Prefix, subjectId, prompt.Start));
        events.AddRange(tokenizer.Decode(tokens, subjectId, prompt.Start));
        var ended = tokens.Length > 0 && tokenizer.Vocabulary[tokens[^1]] == Vocabulary.TimelineEnd;
        return new GeneratedPatient(subjectId, events, tokens.Length, ended);
    }
}
