namespace FhirRisk.Server.Patients;

/// <summary>
/// <see cref="IPatientRiskService"/> over the timeline store and the loaded model: stored + supplied resources →
/// events (<see cref="PatientTimelineBuilder"/>) → tokens → predictor (<see cref="TimelinePredictor"/>).
/// </summary>
internal sealed class PatientRiskService(PatientTimelineBuilder timelines, TimelinePredictor predictor, RiskModel model) : IPatientRiskService
{
    public async Task<PatientRiskResult> PredictAsync(PatientRiskRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!model.IsLoaded)
            throw new RiskModelUnavailableException();
        var patient = await timelines.BuildAsync(request, cancellationToken).ConfigureAwait(false);
        var encounter = request.ContextEncounterId is { } id ? ContextEncounter(patient.Events, PatientTimelineBuilder.EncounterIdOf(id)) : (ContextEncounterKind?)null;
        if (encounter == ContextEncounterKind.NotAStay)
        {
            return new PatientRiskResult([], model.Version, patient.Events.Count, [])
            {
                ContextEncounter = encounter,
                Gaps = patient.Gaps,
                StoredResources = patient.StoredResources,
            };
        }
        var result = await predictor.PredictAsync(patient.Events, request.Tasks, request.PredictionTime, request.Method, request.Rollouts,
                patient.Warnings, cancellationToken)
            .ConfigureAwait(false);
        return result with { Gaps = patient.Gaps, StoredResources = patient.StoredResources, ContextEncounter = encounter };
    }

    /// <summary>Whether <paramref name="encounterId"/>'s events open a hospital or ICU stay, are there without one, or are
    /// not there at all.</summary>
    internal static ContextEncounterKind ContextEncounter(IReadOnlyList<Meds.MedsEvent> events, long encounterId)
    {
        var found = false;
        foreach (var e in events)
        {
            if (e.EncounterId != encounterId || e.IsStatic)
                continue;
            if (Meds.Tasks.CodeSet.Matches(e.Code, Meds.Tasks.TaskCodes.HospitalAdmission) || Meds.Tasks.CodeSet.Matches(e.Code, Meds.Tasks.TaskCodes.IcuAdmission))
                return ContextEncounterKind.Stay;
            found = true;
        }
        return found ? ContextEncounterKind.NotAStay : ContextEncounterKind.NotInRecord;
    }
}
