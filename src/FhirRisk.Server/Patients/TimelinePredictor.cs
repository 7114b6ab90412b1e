using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Inference;
using FhirRisk.Inference.Prediction;
using FhirRisk.Meds;

namespace FhirRisk.Server.Patients;

/// <summary>
/// MEDS events → the model's tokenizer → a <see cref="RiskQuery"/> at the prediction point → the chosen
/// <see cref="IRiskPredictor"/> (docs/inference.md). The timeline is encoded as a live patient (no TIMELINE_END).
/// </summary>
internal sealed class TimelinePredictor(RiskModel model)
{
    public async Task<PatientRiskResult> PredictAsync(IReadOnlyList<MedsEvent> events, IReadOnlyList<string> tasks, DateTimeOffset? predictionTime,
        RiskMethod? method, IReadOnlyList<Issue> warnings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(tasks);
        var session = model.Session;
        var predictor = model.Predictor(method);
        var timeline = session.Tokenizer.CreateBuffer();
        session.Tokenizer.Encode(events, timeline, endTimeline: false);
        var index = predictionTime is { } at
            ? timeline.IndexAt((at.UtcDateTime - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond)
            : timeline.Count - 1;
        if (index < 0)
            throw new PatientDataUnavailableException("The patient has no events at or before the prediction time.");
        var wanted = tasks.Count > 0 ? tasks : predictor.Tasks;
        IReadOnlyList<TaskRisk> risks;
        try
        {
            risks = await predictor.PredictAsync(new RiskQuery(timeline, index, wanted), cancellationToken).ConfigureAwait(false);
        }
        catch (InferenceException e) when (e.Code == InferenceErrorCodes.UnknownTask)
        {
            // The message names tasks only, never patient data.
            throw new ArgumentException(e.Message, nameof(tasks), e);
        }
        var notes = warnings.GroupBy(w => w.Code, StringComparer.Ordinal)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} x{g.Count()}"))
            .ToArray();
        return new PatientRiskResult(risks, model.Version, events.Count, notes);
    }
}
