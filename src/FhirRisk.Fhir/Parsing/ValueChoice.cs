using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Parsing;

/// <summary>
/// Reads Observation value[x] (and component value[x]): every R4 type (R4 observation-definitions.html#Observation.value_x_)
/// becomes a <see cref="FhirValue"/>; SampledData is kept as kind Other without issue; names R4 does not define are
/// kept as Other with <see cref="FhirIssueCodes.UnsupportedValueType"/>. The first non-null <c>value…</c> property in
/// document order decides the type and the others are ignored; a later occurrence of that same name replaces it.
/// </summary>
/// <param name="order">The read position of value[x] in the record holding it.</param>
internal struct ValueChoice(int order)
{
    private ValueType _chosen;

    public FhirValue? Value { get; private set; }

    private enum ValueType
    {
        None,
        Quantity,
        CodeableConcept,
        String,
        Time,
        Boolean,
        Integer,
        DateTime,
        Period,
        Range,
        Ratio,
        SampledData,
        Unsupported,
    }

    private enum RangeOrder
    {
        Low,
        High,
    }

    private enum RatioOrder
    {
        Numerator,
        Denominator,
    }

    /// <summary>Reads (or deliberately skips) the current property when it is a value[x]; false otherwise.</summary>
    public bool TryRead(ref FhirElementReader r)
    {
        var type = TypeOf(ref r);
        if (type == ValueType.None)
            return false;
        if (_chosen == ValueType.None && !r.ValueIsNull())
        {
            _chosen = type;
            Value = Read(ref r, type);
        }
        else if (type == _chosen && type is not (ValueType.SampledData or ValueType.Unsupported))
        {
            Value = Read(ref r, type); // SampledData and unsupported types are never read: repeats change nothing
        }
        else
        {
            r.Skip();
        }
        return true;
    }

    private readonly ValueType TypeOf(ref FhirElementReader r)
    {
        if (!r.IsChoice("value"u8, order))
            return ValueType.None;
        if (r.Is("valueQuantity"u8, order))
            return ValueType.Quantity;
        if (r.Is("valueCodeableConcept"u8, order))
            return ValueType.CodeableConcept;
        if (r.Is("valueString"u8, order))
            return ValueType.String;
        if (r.Is("valueTime"u8, order))
            return ValueType.Time;
        if (r.Is("valueBoolean"u8, order))
            return ValueType.Boolean;
        if (r.Is("valueInteger"u8, order))
            return ValueType.Integer;
        if (r.Is("valueDateTime"u8, order))
            return ValueType.DateTime;
        if (r.Is("valuePeriod"u8, order))
            return ValueType.Period;
        if (r.Is("valueRange"u8, order))
            return ValueType.Range;
        if (r.Is("valueRatio"u8, order))
            return ValueType.Ratio;
        return r.Is("valueSampledData"u8, order) ? ValueType.SampledData : ValueType.Unsupported;
    }

    private static FhirValue? Read(ref FhirElementReader r, ValueType type)
    {
        switch (type)
        {
            case ValueType.Quantity:
                return r.Quantity() is { } q ? new FhirValue(FhirValueKind.Quantity) { Quantity = q } : null;
            case ValueType.CodeableConcept:
                return r.Concept() is { } c ? new FhirValue(FhirValueKind.CodeableConcept) { CodeableConcept = c } : null;
            case ValueType.String:
                return r.String() is { } s ? new FhirValue(FhirValueKind.String) { Text = s } : null;
            case ValueType.Time:
                return r.String() is { } t ? new FhirValue(FhirValueKind.Time) { Text = t } : null;
            case ValueType.Boolean:
                return r.Boolean() is { } b ? new FhirValue(FhirValueKind.Boolean) { Boolean = b } : null;
            case ValueType.Integer:
                return r.Integer() is { } i ? new FhirValue(FhirValueKind.Integer) { Number = i } : null;
            case ValueType.DateTime:
                return r.Date() is { } d ? new FhirValue(FhirValueKind.DateTime) { DateTime = d } : null;
            case ValueType.Period:
                return r.Period() is { } p ? new FhirValue(FhirValueKind.Period) { Period = p } : null;
            case ValueType.Range:
                return Range(ref r);
            case ValueType.Ratio:
                return Ratio(ref r);
            case ValueType.SampledData:
                r.Skip();
                return new FhirValue(FhirValueKind.Other);
            default:
                r.Report(FhirIssueCodes.UnsupportedValueType, "value[x] type not defined for Observation in R4");
                r.Skip();
                return new FhirValue(FhirValueKind.Other);
        }
    }

    private static FhirValue? Range(ref FhirElementReader r)
    {
        if (!r.Object())
            return null;
        FhirQuantity? low = null, high = null;
        while (r.NextProperty())
        {
            if (r.Is("low"u8, RangeOrder.Low))
                low = r.Quantity();
            else if (r.Is("high"u8, RangeOrder.High))
                high = r.Quantity();
            else
                r.Skip();
        }
        return new FhirValue(FhirValueKind.Range) { Low = low, High = high };
    }

    private static FhirValue? Ratio(ref FhirElementReader r)
    {
        if (!r.Object())
            return null;
        FhirQuantity? numerator = null, denominator = null;
        while (r.NextProperty())
        {
            if (r.Is("numerator"u8, RatioOrder.Numerator))
                numerator = r.Quantity();
            else if (r.Is("denominator"u8, RatioOrder.Denominator))
                denominator = r.Quantity();
            else
                r.Skip();
        }
        return new FhirValue(FhirValueKind.Ratio) { Numerator = numerator, Denominator = denominator };
    }
}
