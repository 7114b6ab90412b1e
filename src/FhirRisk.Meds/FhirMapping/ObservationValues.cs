using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// value[x] → (code suffix, numeric_value, text_value) for an Observation or component (issue 3: every value[x]).
/// Quantity: numeric value, normalized unit appended to the code, comparator (&lt;, &gt;=…) as text. Integer: numeric.
/// CodeableConcept: text = its MEDS code (or its text). String/Time: text. Boolean: "true"/"false". DateTime: ISO-8601
/// UTC text. Period/Range/Ratio: text ("start/end", "low..high", "n:d") with the low/numerator unit as suffix.
/// </summary>
internal static class ObservationValues
{
    public readonly record struct Mapped(string? UnitSuffix, float? Numeric, string? Text);

    public static Mapped Map(FhirValue value, string element, MappingContext context) => value.Kind switch
    {
        FhirValueKind.Quantity => Quantity(value.Quantity, element, context),
        FhirValueKind.Integer => new(null, context.Numeric(value.Number, element), null),
        FhirValueKind.CodeableConcept => new(null, null, CodeSystems.ToCode(value.CodeableConcept) ?? value.CodeableConcept?.Text),
        FhirValueKind.String or FhirValueKind.Time => new(null, null, value.Text),
        FhirValueKind.Boolean => new(null, null, value.Boolean is { } b ? (b ? "true" : "false") : null),
        FhirValueKind.DateTime => new(null, null, Iso(value.DateTime)),
        FhirValueKind.Period => new(null, null, $"{Iso(value.Period?.Start)}/{Iso(value.Period?.End)}"),
        FhirValueKind.Range => new(Unit(value.Low ?? value.High, element, context), null, $"{Number(value.Low)}..{Number(value.High)}"),
        FhirValueKind.Ratio => new(Unit(value.Numerator, element, context), null, $"{Number(value.Numerator)}:{Number(value.Denominator)}"),
        _ => new(null, null, null),
    };

    private static Mapped Quantity(FhirQuantity? quantity, string element, MappingContext context) =>
        new(Unit(quantity, element, context), context.Numeric(quantity?.Value, element), quantity?.Comparator);

    private static string? Unit(FhirQuantity? quantity, string element, MappingContext context)
    {
        if (!UcumUnits.TryNormalize(quantity, out var unit))
        {
            context.Report(new Issue(FhirMappingIssueCodes.UnitNotNormalized, IssueSeverity.Information,
                context.Envelope.IssuePath(element), $"unit '{unit}' is not UCUM; kept as written"));
        }
        return unit;
    }

    private static string Number(FhirQuantity? quantity) =>
        quantity?.Value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    private static string? Iso(FhirDateTime? time) =>
        time?.Utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
