using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Parsing;

/// <summary>
/// Reads Observation (with its components and referenceRange[0]) and DiagnosticReport. Each <c>…Order</c> enum lists a
/// record's elements in the order they are read (see <see cref="FhirElementReader"/>).
/// </summary>
internal static class ObservationReader
{
    private enum ObservationOrder
    {
        EffectiveDateTime,
        EffectiveInstant,
        EffectivePeriod,
        ReferenceRange,
        Status,
        Subject,
        Encounter,
        Code,
        Category,
        Issued,
        Value,
        DataAbsentReason,
        Component,
        ReferenceRangeLow,
        ReferenceRangeHigh,
    }

    private enum ComponentOrder
    {
        Code,
        Value,
        DataAbsentReason,
    }

    private enum DiagnosticReportOrder
    {
        Status,
        Subject,
        Encounter,
        Code,
        EffectiveDateTime,
        EffectiveInstant,
        EffectivePeriod,
        Issued,
        Result,
        ConclusionCode,
    }

    public static FhirResource Observation(ref FhirElementReader r, ref ResourceElements common)
    {
        string? status = null;
        FhirReference? subject = null, encounter = null;
        FhirCodeableConcept? code = null, dataAbsentReason = null;
        IReadOnlyList<FhirCodeableConcept> categories = [];
        var effective = new DateTimeChoice(DateTimeChoiceNames.Effective, (int)ObservationOrder.EffectiveDateTime);
        FhirDateTime? issued = null;
        var value = new ValueChoice((int)ObservationOrder.Value);
        IReadOnlyList<FhirObservationComponent> components = [];
        FhirQuantity? referenceLow = null, referenceHigh = null;
        while (r.NextProperty())
        {
            if (r.Is("status"u8, ObservationOrder.Status))
                status = r.RepeatedString();
            else if (r.Is("subject"u8, ObservationOrder.Subject))
                subject = r.Reference();
            else if (r.Is("encounter"u8, ObservationOrder.Encounter))
                encounter = r.Reference();
            else if (r.Is("code"u8, ObservationOrder.Code))
                code = r.Concept();
            else if (r.Is("category"u8, ObservationOrder.Category))
                categories = r.Concepts();
            else if (r.Is("issued"u8, ObservationOrder.Issued))
                issued = r.Date();
            else if (r.Is("dataAbsentReason"u8, ObservationOrder.DataAbsentReason))
                dataAbsentReason = r.Concept();
            else if (r.Is("component"u8, ObservationOrder.Component))
                components = r.List(Component);
            else if (r.Is("referenceRange"u8, ObservationOrder.ReferenceRange))
                (referenceLow, referenceHigh) = ReferenceRange(ref r);
            else if (!effective.TryRead(ref r) && !value.TryRead(ref r) && !common.TryRead(ref r))
                r.Skip();
        }
        var (start, end) = effective.Resolve(ref r);
        return new FhirObservation
        {
            Status = status,
            Subject = subject,
            Encounter = encounter,
            Code = code,
            Categories = categories,
            Effective = start,
            EffectiveEnd = end,
            Issued = issued,
            Value = value.Value,
            DataAbsentReason = dataAbsentReason,
            Components = components,
            ReferenceLow = referenceLow,
            ReferenceHigh = referenceHigh,
        };
    }

    private static FhirObservationComponent? Component(ref FhirElementReader r)
    {
        if (!r.Object())
            return null;
        FhirCodeableConcept? code = null, dataAbsentReason = null;
        var value = new ValueChoice((int)ComponentOrder.Value);
        while (r.NextProperty())
        {
            if (r.Is("code"u8, ComponentOrder.Code))
                code = r.Concept();
            else if (r.Is("dataAbsentReason"u8, ComponentOrder.DataAbsentReason))
                dataAbsentReason = r.Concept();
            else if (!value.TryRead(ref r))
                r.Skip();
        }
        return new FhirObservationComponent(code, value.Value, dataAbsentReason);
    }

    /// <summary>referenceRange[0].low and .high, for OMOP range_low/range_high.</summary>
    private static (FhirQuantity? Low, FhirQuantity? High) ReferenceRange(ref FhirElementReader r)
    {
        FhirQuantity? low = null, high = null;
        if (!r.InlineFirstObject())
            return (null, null);
        while (r.NextProperty())
        {
            if (r.Is("low"u8, ObservationOrder.ReferenceRangeLow))
                low = r.Quantity();
            else if (r.Is("high"u8, ObservationOrder.ReferenceRangeHigh))
                high = r.Quantity();
            else
                r.Skip();
        }
        return (low, high);
    }

    public static FhirResource DiagnosticReport(ref FhirElementReader r, ref ResourceElements common)
    {
        string? status = null;
        FhirReference? subject = null, encounter = null;
        FhirCodeableConcept? code = null;
        var effective = new DateTimeChoice(DateTimeChoiceNames.Effective, (int)DiagnosticReportOrder.EffectiveDateTime);
        FhirDateTime? issued = null;
        IReadOnlyList<FhirReference> results = [];
        IReadOnlyList<FhirCodeableConcept> conclusionCodes = [];
        while (r.NextProperty())
        {
            if (r.Is("status"u8, DiagnosticReportOrder.Status))
                status = r.RepeatedString();
            else if (r.Is("subject"u8, DiagnosticReportOrder.Subject))
                subject = r.Reference();
            else if (r.Is("encounter"u8, DiagnosticReportOrder.Encounter))
                encounter = r.Reference();
            else if (r.Is("code"u8, DiagnosticReportOrder.Code))
                code = r.Concept();
            else if (r.Is("issued"u8, DiagnosticReportOrder.Issued))
                issued = r.Date();
            else if (r.Is("result"u8, DiagnosticReportOrder.Result))
                results = r.References();
            else if (r.Is("conclusionCode"u8, DiagnosticReportOrder.ConclusionCode))
                conclusionCodes = r.Concepts();
            else if (!effective.TryRead(ref r) && !common.TryRead(ref r))
                r.Skip();
        }
        return new FhirDiagnosticReport
        {
            Status = status,
            Subject = subject,
            Encounter = encounter,
            Code = code,
            Effective = effective.Resolve(ref r).Start,
            Issued = issued,
            Results = results,
            ConclusionCodes = conclusionCodes,
        };
    }
}
