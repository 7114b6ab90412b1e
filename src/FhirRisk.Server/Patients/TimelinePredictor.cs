using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Inference;
using FhirRisk.Inference.Prediction;
using FhirRisk.Meds;
using FhirRisk.Tokenizer;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Patients;

/// <summary>
/// MEDS events → the model's tokenizer → a <see cref="RiskQuery"/> at the prediction point → the chosen
/// <see cref="IRiskPredictor"/> (docs/inference.md). The timeline is encoded as a live patient (no TIMELINE_END).
/// Rollout predictions pass <see cref="RolloutAdmission"/> first; a shed one is answered by the heads (marked in
/// <see cref="PatientRiskResult.AnsweredByHeadsWhenBusy"/> and a <see cref="RolloutsBusyCode"/> warning) or rejected
/// (docs/operations.md "Load shedding").
/// </summary>
internal sealed class TimelinePredictor(RiskModel model, RolloutAdmission admission, IOptions<RiskModelOptions> options, TimeProvider time)
{
    /// <summary>The warning code of a prediction the heads answered because the rollout engine was at capacity.</summary>
    public const string RolloutsBusyCode = "ROLLOUTS_BUSY";

    /// <summary>The warning code of timeline events whose code the model's vocabulary does not hold at all (read as UNK).</summary>
    public const string UnknownCodesCode = "UNKNOWN_CODE";

    /// <summary>The warning code of heads answers asked at least <see cref="QuietNoteAfter"/> after the last recorded
    /// event: the heads read the record as at that event and do not account for the quiet time since, which rollouts
    /// condition on (docs/inference.md "Asked mid-stay").</summary>
    public const string HeadsAsOfLastEventCode = "HEADS_AS_OF_LAST_EVENT";

    /// <summary>The warning code of heads answers of a task predicted at a stay's end (readmission) read while that stay
    /// is still open (<see cref="TaskRisk.BeforeStayEnd"/>): the heads were finetuned at the discharge, and read low
    /// before it (docs/cds-hooks.md); rollouts ask at the stay's coming end, and encounter-discharge at the discharge it
    /// makes.</summary>
    public const string HeadsBeforeStayEndCode = "HEADS_BEFORE_STAY_END";

    /// <summary>The warning code of every answer of a model built by <c>fhirrisk demo-model</c> from simulated patients
    /// only (<see cref="RiskModel.TrainedOnSimulatedPatients"/>): not for clinical decisions.</summary>
    public const string SimulatedModelCode = "SIMULATED_TRAINING_DATA";

    /// <summary>The warning code of an answer asked at the record's last event when that event is dated more than
    /// <see cref="FutureTolerance"/> after the service's clock (security review s12 #15: a stored Encounter dated
    /// 9999-12-31 put the card's estimate there): a typo, a time-zone error or a planned event charted as done.</summary>
    public const string FutureEventsCode = "FUTURE_EVENTS";

    /// <summary>The note every answer of a model trained on simulated patients carries (<see cref="SimulatedModelCode"/>);
    /// gRPC Explain gives it too.</summary>
    public const string SimulatedModelNote = $"{SimulatedModelCode} the model was trained on simulated patients only (fhirrisk demo-model): not for clinical decisions";

    /// <summary>The note of an answer whose record had <paramref name="unknown"/> events the vocabulary does not hold
    /// (<see cref="UnknownCodesCode"/>); gRPC Explain gives it too.</summary>
    public static string UnknownCodesNote(long unknown) => string.Create(CultureInfo.InvariantCulture,
        $"{UnknownCodesCode} x{unknown}: events whose code the model's vocabulary does not hold were read as UNK; check the codes (DESIGN §3, VOCAB//value)");

    /// <summary>How far past the service's clock the last event may lie before <see cref="FutureEventsCode"/>.</summary>
    public static readonly TimeSpan FutureTolerance = TimeSpan.FromDays(1);

    /// <summary>The quiet time from which heads answers carry <see cref="HeadsAsOfLastEventCode"/>.</summary>
    public static readonly TimeSpan QuietNoteAfter = TimeSpan.FromHours(1);

    public async Task<PatientRiskResult> PredictAsync(IReadOnlyList<MedsEvent> events, IReadOnlyList<string> tasks, DateTimeOffset? predictionTime,
        RiskMethod? method, RolloutChoices rollouts, IReadOnlyList<Issue> warnings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(rollouts);
        var predictor = model.Predictor(method);
        var (timeline, index) = Encode(events, predictionTime);
        if (index < 0)
            throw new PatientDataUnavailableException("The patient has no events at or before the prediction time.");
        RolloutAdmission.Lease? lease = null;
        var fellBack = false;
        if (predictor.Method == RiskMethod.Rollouts)
        {
            lease = await admission.TryEnterAsync(cancellationToken, rollouts.WaitForPlace).ConfigureAwait(false);
            if (lease is null)
            {
                // Only a request that left the method to the service may get another method than it would have.
                var heads = method is null && options.Value.RolloutOverload == "heads" ? model.HeadsFor(tasks) : null;
                predictor = heads ?? throw admission.Reject();
                admission.CountFallBack();
                fellBack = true;
            }
        }
        using (lease)
        {
            var wanted = tasks.Count > 0 ? tasks : predictor.Tasks;
            var query = new RiskQuery(timeline, index, wanted) {
                Rollouts = rollouts.Count, Seed = rollouts.Seed, IntervalLevel = rollouts.IntervalLevel, AsOf = predictionTime?.UtcDateTime,
            };
            IReadOnlyList<TaskRisk> risks;
            try
            {
                risks = await predictor.PredictAsync(query, cancellationToken).ConfigureAwait(false);
            }
            catch (InferenceException e) when (e.Code == InferenceErrorCodes.UnknownTask)
            {
                // The message names tasks only, never patient data.
                throw new PatientInputException(e.Message, nameof(tasks), e);
            }
            // Codes and structural paths only: an issue's message may quote a value of the record.
            var notes = warnings.GroupBy(w => w.Code, StringComparer.Ordinal)
                .Select(g => string.Create(CultureInfo.InvariantCulture,
                    $"{g.Key} x{g.Count()}{(g.FirstOrDefault(w => !string.IsNullOrEmpty(w.Path)) is { } first ? $" (first at {first.Path})" : "")}"));
            // The encoder counted every timeline event's coverage (events after the cut-off are not encoded).
            var unknown = timeline.Coverage.Unknown;
            if (unknown > 0)
                notes = notes.Append(UnknownCodesNote(unknown));
            if (fellBack)
                notes = notes.Append($"{RolloutsBusyCode} answered by the task heads: the rollout engine was at capacity");
            var point = DateTime.UnixEpoch.AddTicks(timeline.Times[index] * TimeSpan.TicksPerMicrosecond);
            if (predictor.Method == RiskMethod.Heads && predictionTime is { } asked && asked.UtcDateTime - point is var quiet && quiet >= QuietNoteAfter
                && risks.Any(r => r.Observed is null))
                notes = notes.Append(string.Create(CultureInfo.InvariantCulture,
                    $"{HeadsAsOfLastEventCode} the task heads read the record as at its last event, {(quiet.TotalDays >= 1 ? $"{quiet.TotalDays:0.#} days" : $"{quiet.TotalHours:0.#} hours")} before the asked time, and do not account for the time since (rollouts condition on it)"));
            if (risks.Where(r => r.Method == RiskMethod.Heads && r.BeforeStayEnd).Select(r => r.Task).ToArray() is { Length: > 0 } early)
                notes = notes.Append($"{HeadsBeforeStayEndCode} the task heads read {string.Join(", ", early)} inside the open stay, before the discharge they were finetuned at, where they may read low; rollouts ask at the stay's coming end");
            var now = time.GetUtcNow();
            var inFuture = predictionTime is null && point > now.UtcDateTime + FutureTolerance;
            if (inFuture)
                notes = notes.Append($"{FutureEventsCode} the record's last event is dated more than a day after the service's clock: the risk is estimated as of that event; check the source's dates");
            if (model.TrainedOnSimulatedPatients)
                notes = notes.Append(SimulatedModelNote);
            return new PatientRiskResult(risks, model.Version, events.Count, [.. notes])
            {
                AnsweredByHeadsWhenBusy = fellBack,
                TrainedOnSimulatedPatients = model.TrainedOnSimulatedPatients,
                PredictionPointInFuture = inFuture,
                PredictionPoint = new DateTimeOffset(point, TimeSpan.Zero),
                AnsweredAt = now,
                ProlongedStayDays = model.Session.TaskParameters.ProlongedStay.TotalDays,
            };
        }
    }

    /// <summary>The events encoded by the model's tokenizer as a live patient, and the prediction point: the last token at
    /// or before <paramref name="predictionTime"/> (null: the last token); −1 when no token is that early.</summary>
    public (EncodedTimeline Timeline, int Index) Encode(IReadOnlyList<MedsEvent> events, DateTimeOffset? predictionTime)
    {
        ArgumentNullException.ThrowIfNull(events);
        var session = model.Session;
        var timeline = session.Tokenizer.CreateBuffer();
        // The clock counts microseconds: an event less than one after the cut-off would share its tick, so events after
        // the cut-off are dropped at full precision first (the MEDS cut-off includes its own instant, nothing after).
        // A death known by its date moves to its day's end when that day holds later events (DateOnlyDeaths): decided on
        // the whole record, as the labels and the offline encoding decide it, before those events are dropped; else a
        // cut-off early on the day of death read the death as already charted (train/serve review s19 #9). Without a
        // cut-off the tokenizer places it itself, on the same whole record.
        var placed = predictionTime is not null && session.Tokenizer.Settings.PlaceDateOnlyDeaths ? DateOnlyDeaths.Place(events) : events;
        session.Tokenizer.Encode(predictionTime is { } cutOff ? [.. placed.Where(e => e.Time is not { } t || t <= cutOff.UtcDateTime)] : placed,
            timeline, endTimeline: false);
        var index = predictionTime is { } at
            ? timeline.IndexAt(MicrosOf(at))
            : timeline.Count - 1;
        return (timeline, index);
    }

    /// <summary>Microseconds since the Unix epoch, the timeline's clock.</summary>
    public static long MicrosOf(DateTimeOffset time) => (time.UtcDateTime - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
}
