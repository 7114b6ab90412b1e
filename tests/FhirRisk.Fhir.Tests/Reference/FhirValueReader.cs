using System.Text.Json;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Tests.Reference;

/// <summary>
/// Reads Observation value[x] (and component value[x]): every R4 type (R4 observation-definitions.html#Observation.value_x_)
/// becomes a <see cref="FhirValue"/>; SampledData is kept as kind Other without issue; names R4 does not define are
/// kept as Other with <see cref="FhirIssueCodes.UnsupportedValueType"/>.
/// </summary>
internal static class FhirValueReader
{
    public static FhirValue? Value(this FhirElementReader r, JsonElement obj, string path)
    {
        foreach (var property in obj.EnumerateObject())
        {
            var name = property.Name;
            if (name.Length <= 5 || !name.StartsWith("value", StringComparison.Ordinal) || !char.IsAsciiLetterUpper(name[5]))
                continue;
            if (property.Value.ValueKind == JsonValueKind.Null)
                continue;
            return r.ValueOf(obj, name, path);
        }
        return null;
    }

    private static FhirValue? ValueOf(this FhirElementReader r, JsonElement obj, string name, string path) => name[5..] switch
    {
        "Quantity" => r.Quantity(obj, name, path) is { } q ? new FhirValue(FhirValueKind.Quantity) { Quantity = q } : null,
        "CodeableConcept" => r.Concept(obj, name, path) is { } c ? new FhirValue(FhirValueKind.CodeableConcept) { CodeableConcept = c } : null,
        "String" => r.String(obj, name, path) is { } s ? new FhirValue(FhirValueKind.String) { Text = s } : null,
        "Time" => r.String(obj, name, path) is { } t ? new FhirValue(FhirValueKind.Time) { Text = t } : null,
        "Boolean" => r.Boolean(obj, name, path) is { } b ? new FhirValue(FhirValueKind.Boolean) { Boolean = b } : null,
        "Integer" => r.Integer(obj, name, path) is { } i ? new FhirValue(FhirValueKind.Integer) { Number = i } : null,
        "DateTime" => r.Date(obj, name, path) is { } d ? new FhirValue(FhirValueKind.DateTime) { DateTime = d } : null,
        "Period" => r.Period(obj, name, path) is { } p ? new FhirValue(FhirValueKind.Period) { Period = p } : null,
        "Range" => r.Object(obj, name, path) is { } range ? Range(r, range, FhirElementReader.Child(path, name)) : null,
        "Ratio" => r.Object(obj, name, path) is { } ratio ? Ratio(r, ratio, FhirElementReader.Child(path, name)) : null,
        "SampledData" => new FhirValue(FhirValueKind.Other),
        _ => Unsupported(r, FhirElementReader.Child(path, name)),
    };

    private static FhirValue Range(FhirElementReader r, JsonElement range, string path) =>
        new(FhirValueKind.Range) { Low = r.Quantity(range, "low", path), High = r.Quantity(range, "high", path) };

    private static FhirValue Ratio(FhirElementReader r, JsonElement ratio, string path) =>
        new(FhirValueKind.Ratio) { Numerator = r.Quantity(ratio, "numerator", path), Denominator = r.Quantity(ratio, "denominator", path) };

    private static FhirValue Unsupported(FhirElementReader r, string path)
    {
        r.Report(FhirIssueCodes.UnsupportedValueType, path, "value[x] type not defined for Observation in R4");
        return new FhirValue(FhirValueKind.Other);
    }
}
