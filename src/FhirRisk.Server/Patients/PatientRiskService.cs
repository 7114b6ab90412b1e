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
        var result = await predictor.PredictAsync(patient.Events, request.Tasks, request.PredictionTime, request.Method, request.Rollouts,
                patient.Warnings, cancellationToken)
            .ConfigureAwait(false);
        return result with { Gaps = patient.Gaps, StoredResources = patient.StoredResources };
    }
}
