using System.Collections.Concurrent;
using System.Text;
using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Server.Patients;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>Answers fixed risks per task and records each request; <see cref="Behavior"/> replaces the answer.</summary>
internal sealed class FakePatientRiskService : IPatientRiskService
{
    public const string ModelVersion = "fake-model 1.2.3";

    public ConcurrentQueue<PatientRiskRequest> Requests { get; } = new();

    public Func<PatientRiskRequest, PatientRiskResult>? Behavior { get; set; }

    public Dictionary<string, double> RiskByTask { get; } = new()
    {
        ["hospital_mortality"] = 0.02,
        ["icu_admission"] = 0.12,
        ["readmission_30d"] = 0.41,
        ["prolonged_los"] = 0.2,
    };

    /// <summary>The resource types of every FHIR document the last request carried.</summary>
    public IReadOnlyList<string> LastResourceTypes =>
        Requests.Last().FhirResources.Select(r => System.Text.Json.JsonDocument.Parse(r).RootElement.GetProperty("resourceType").GetString()!).ToList();

    public Task<PatientRiskResult> PredictAsync(PatientRiskRequest request, CancellationToken cancellationToken = default)
    {
        Requests.Enqueue(request);
        if (Behavior is { } behavior)
            return Task.FromResult(behavior(request));
        if (request.FhirResources.Count == 0 && request.PatientId == "unknown")
            throw new PatientDataUnavailableException("not stored, not supplied");
        var risks = request.Tasks.Select(t => new TaskRisk(t, RiskByTask.GetValueOrDefault(t, 0.05), WilsonInterval.Of((int)(RiskByTask.GetValueOrDefault(t, 0.05) * 100), 100),
            RiskMethod.Rollouts, 100, TimeSpan.FromMilliseconds(5))).ToList();
        return Task.FromResult(new PatientRiskResult(risks, ModelVersion, 42, []));
    }

    public static string Utf8(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);
}
