using FhirRisk.Grpc.V1;
using FhirRisk.Meds;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Patients;

namespace FhirRisk.Server.Risk;

/// <summary>
/// A wire <see cref="PatientInput"/> as MEDS events: a bundle or a stored patient through
/// <see cref="PatientTimelineBuilder"/> (stored history combined with what the call supplies), events as given. The
/// analysis RPCs (Explain, Embed, Generate) read patients this way; Predict goes through <see cref="IPatientRiskService"/>,
/// which uses the same builder.
/// </summary>
internal sealed class PatientInputReader(PatientTimelineBuilder timelines)
{
    /// <exception cref="GrpcStatusException">No source set (INVALID_ARGUMENT).</exception>
    /// <exception cref="PatientDataUnavailableException">Neither the store nor the call holds the patient.</exception>
    public async Task<PatientEventsResult> ReadAsync(PatientInput? patient, CancellationToken cancellationToken)
    {
        if (patient is null)
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "Set patient.");
        return patient.SourceCase switch
        {
            PatientInput.SourceOneofCase.Bundle => await timelines.BuildAsync(NullIfEmpty(patient.Bundle.PatientId), [patient.Bundle.Json.Memory],
                useStoredHistory: true, cancellationToken).ConfigureAwait(false),
            PatientInput.SourceOneofCase.Stored => await timelines.BuildAsync(
                NullIfEmpty(patient.Stored.PatientId) ?? throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "Set stored.patient_id."),
                [], useStoredHistory: true, cancellationToken).ConfigureAwait(false),
            PatientInput.SourceOneofCase.Events => new PatientEventsResult(Events(patient.Events), []),
            _ => throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "Set patient.bundle, patient.events or patient.stored."),
        };
    }

    /// <summary>The call's cut-off; null: after the last event.</summary>
    public static DateTimeOffset? PredictionTime(PatientInput patient) =>
        patient.PredictionTime is { } time ? new DateTimeOffset(WireTime.ToUtc(time, "patient.prediction_time")) : null;

    /// <summary>Wire events in MEDS order (static first, then by time); they belong to one anonymous subject.</summary>
    public static List<MedsEvent> Events(PatientEvents events)
    {
        if (events.Events.Count == 0)
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, "patient.events holds no events.");
        if (events.Events.Select((e, i) => (e, i)).FirstOrDefault(x => string.IsNullOrWhiteSpace(x.e.Code)) is { e: not null } blank)
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, $"patient.events.events[{blank.i}].code is empty; every MEDS event has a code (DESIGN §3, VOCAB//value).");
        return [.. events.Events
            .Select((e, i) => new MedsEvent(0, e.Time is { } time ? WireTime.ToUtc(time, $"patient.events.events[{i}].time") : null, e.Code,
                e.HasNumericValue ? (float)e.NumericValue : null, e.HasTextValue ? e.TextValue : null))
            .OrderBy(e => e.Time is null ? 0 : 1).ThenBy(e => e.Time ?? DateTime.MinValue)];
    }

    public static string? NullIfEmpty(string value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
