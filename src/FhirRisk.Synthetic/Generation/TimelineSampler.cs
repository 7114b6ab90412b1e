using FhirRisk.Inference;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds.Tasks;
using FhirRisk.Model.Cpu;

namespace FhirRisk.Synthetic.Generation;

/// <summary>
/// Samples whole timelines after static prefixes with the rollout scheduler (continuous batching, KV cache, window
/// slides: docs/inference.md), one rollout per patient, each on its own random stream (the request key is the patient
/// number). A rollout of a whole timeline is judged by a task with no stop code: it ends at <c>TIMELINE_END</c>, at
/// <see cref="GenerationSettings.TimeLimit"/> of generated time, or at the token budget. Tokens decode to MEDS events
/// with the tokenizer's clock from the prompt's date (<see cref="GeneratedTimeline"/>); a timeline in which no event
/// opens an encounter is sampled again, up to <see cref="MaxAttempts"/> rollouts in all.
/// </summary>
internal static class TimelineSampler
{
    /// <summary>Patients enqueued together: enough to fill the decode steps, few enough to stream the output.</summary>
    private const int ChunkSize = 128;

    /// <summary>Rollouts a patient gets for a timeline that opens an encounter (<see cref="GeneratedTimeline"/>): a
    /// rollout that never leaves the encounter it began in leaves nothing to keep, and is drawn again.</summary>
    public const int MaxAttempts = 3;

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
        var zone = GeneratedTimeline.SiteZone(session.Tokenizer); // looked up once, not per patient
        using var scheduler = session.CreateScheduler();
        for (var first = 0; first < prompts.Count; first += ChunkSize)
        {
            var chunk = Enumerable.Range(first, Math.Min(ChunkSize, prompts.Count - first)).ToArray();
            var patients = new GeneratedPatient?[chunk.Length];
            var tokensSpent = new int[chunk.Length];
            var pending = Enumerable.Range(0, chunk.Length).ToList();
            for (var attempt = 0; attempt < MaxAttempts && pending.Count > 0; attempt++)
            {
                // Attempt 0 keys the stream by the patient number alone; a retry gets a stream of its own.
                var tickets = pending.Select(t => scheduler.Enqueue(new RolloutRequest(prompts[chunk[t]].Prefix, [task], rollouts)
                {
                    Key = ((ulong)attempt * (ulong)prompts.Count) + (ulong)chunk[t] + 1,
                })).ToList();
                while (scheduler.HasWork)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    scheduler.Step();
                }
                var retry = new List<int>();
                for (var k = 0; k < pending.Count; k++)
                {
                    var t = pending[k];
                    var patient = GeneratedTimeline.Decode(session.Tokenizer, chunk[t] + 1, prompts[chunk[t]], tickets[k].Result!.Tokens[0], zone);
                    tokensSpent[t] += patient.Tokens;
                    patients[t] = patient with { Tokens = tokensSpent[t], Attempts = attempt + 1 };
                    if (!patient.OpensEncounter && patient.Events.Count > 0)
                        retry.Add(t);
                }
                pending = retry;
            }
            foreach (var patient in patients)
                yield return patient!;
        }
    }
}
