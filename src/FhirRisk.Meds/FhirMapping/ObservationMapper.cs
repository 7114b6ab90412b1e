using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// Observation → one event for the observation itself when it has a value or no components (a coded finding without a
/// value, e.g. an organism, is still an event), plus one event per component with its own code and value. Time is
/// effective[x] (start), else the end of an effectivePeriod that has only an end (as every other resource falls back to
/// its end), else issued. Entered-in-error, cancelled and registered (no result yet) are dropped, and so is an
/// observation or component whose dataAbsentReason says no value was obtained (not performed, asked but declined,
/// error…): as a code-only event it would read as a finding that was made.
/// </summary>
internal static class ObservationMapper
{
    public static void Map(FhirObservation observation, MappingContext context)
    {
        if (context.DroppedByStatus(observation.Status, "status", StatusRules.Observation))
            return;
        if (context.Subject(observation.Subject, "subject") is not { } subjectId)
            return;
        var encounter = context.Encounter(observation.Encounter, "encounter");
        var encounterId = encounter?.EncounterId;
        if (context.Code(observation.Code, "code") is not { } code)
            return;
        var period = encounter?.Encounter.Period;
        if (context.Time("effective", context.Known(observation.Effective, period), context.Known(observation.EffectiveEnd, period),
                context.Known(observation.Issued, period)) is not { } time)
            return;
        if (!HasValue(observation.Value) && NothingObtained(observation.DataAbsentReason))
            ReportAbsent(context, observation.DataAbsentReason!, "dataAbsentReason");
        else if (observation.Value is not null || observation.Components.Count == 0)
            EmitValue(context, subjectId, time, code, observation.Value, "value", encounterId);
        if (!context.Settings.MapObservationComponents)
            return;
        for (var i = 0; i < observation.Components.Count; i++)
        {
            var component = observation.Components[i];
            if (!HasValue(component.Value) && NothingObtained(component.DataAbsentReason))
                ReportAbsent(context, component.DataAbsentReason!, $"component[{i}].dataAbsentReason");
            else if (context.Code(component.Code, $"component[{i}].code") is { } componentCode)
                EmitValue(context, subjectId, time, componentCode, component.Value, $"component[{i}].value", encounterId);
        }
    }

    /// <summary>
    /// data-absent-reason codes that say no measurement or answer was obtained. Others (unknown, masked, as-text,
    /// temp-unknown…) say a value exists but is not given: those stay code-only events.
    /// </summary>
    private static readonly string[] s_nothingObtained =
        ["not-performed", "not-asked", "asked-declined", "asked-unknown", "error", "not-applicable", "unsupported"];

    /// <summary>
    /// Whether a value[x] carries a value: a Quantity (or a Range's or Ratio's) without a number is a unit with nothing
    /// measured, as R4's obs-6 reads it beside a dataAbsentReason (review s21-fhir M4: <c>{"unit":"mg/dL"}</c> with
    /// dataAbsentReason <c>error</c> made an event).
    /// </summary>
    internal static bool HasValue(FhirValue? value) => value switch
    {
        null => false,
        { Kind: FhirValueKind.Quantity } => value.Quantity?.Value is not null,
        { Kind: FhirValueKind.Range } => value.Low?.Value is not null || value.High?.Value is not null,
        { Kind: FhirValueKind.Ratio } => value.Numerator?.Value is not null,
        _ => true,
    };

    internal static bool NothingObtained(FhirCodeableConcept? reason) =>
        reason?.Codings.Any(c => c.Code is { } code && s_nothingObtained.Contains(code.Trim(), StringComparer.OrdinalIgnoreCase)) == true;

    private static void ReportAbsent(MappingContext context, FhirCodeableConcept reason, string element)
    {
        var why = reason.Codings.FirstOrDefault(c => c.Code is not null)?.Code ?? reason.Text ?? "unknown";
        context.Report(new Core.Issue(FhirMappingIssueCodes.ValueAbsent, Core.IssueSeverity.Information, context.Envelope.IssuePath(element),
            $"no value (dataAbsentReason '{why}'): no event"));
    }

    private static void EmitValue(MappingContext context, long subjectId, DateTime time, string code, FhirValue? value, string element, long? encounterId)
    {
        if (value is null)
        {
            context.Emit(subjectId, time, code, encounterId: encounterId);
            return;
        }
        var mapped = ObservationValues.Map(value, element, context);
        var fullCode = mapped.UnitSuffix is null ? code : $"{code}//{mapped.UnitSuffix}";
        context.Emit(subjectId, time, fullCode, mapped.Numeric, mapped.Text, encounterId);
    }
}
