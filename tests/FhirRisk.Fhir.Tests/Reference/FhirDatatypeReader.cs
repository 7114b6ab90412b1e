using System.Text.Json;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Tests.Reference;

/// <summary>Reads the R4 general-purpose datatypes (https://hl7.org/fhir/R4/datatypes.html) into the Model records.</summary>
internal static class FhirDatatypeReader
{
    public static FhirCoding? Coding(this FhirElementReader r, JsonElement obj, string name, string path) =>
        r.Object(obj, name, path) is { } coding ? r.CodingOf(coding, FhirElementReader.Child(path, name)) : null;

    public static FhirCoding CodingOf(this FhirElementReader r, JsonElement coding, string path) =>
        new(r.String(coding, "system", path), r.String(coding, "code", path), r.String(coding, "display", path));

    public static FhirCodeableConcept? Concept(this FhirElementReader r, JsonElement obj, string name, string path) =>
        r.Object(obj, name, path) is { } concept ? r.ConceptOf(concept, FhirElementReader.Child(path, name)) : null;

    public static FhirCodeableConcept ConceptOf(this FhirElementReader r, JsonElement concept, string path)
    {
        var codings = r.ObjectItems(concept, "coding", path).Select(c => r.CodingOf(c.Item, c.Path)).ToList();
        return new FhirCodeableConcept(codings, r.String(concept, "text", path));
    }

    public static IReadOnlyList<FhirCodeableConcept> Concepts(this FhirElementReader r, JsonElement obj, string name, string path) =>
        r.ObjectItems(obj, name, path).Select(c => r.ConceptOf(c.Item, c.Path)).ToList();

    public static FhirReference? Reference(this FhirElementReader r, JsonElement obj, string name, string path) =>
        r.Object(obj, name, path) is { } reference ? r.ReferenceOf(reference, FhirElementReader.Child(path, name)) : null;

    public static FhirReference ReferenceOf(this FhirElementReader r, JsonElement reference, string path) =>
        new(r.String(reference, "reference", path), r.String(reference, "display", path));

    public static IReadOnlyList<FhirReference> References(this FhirElementReader r, JsonElement obj, string name, string path) =>
        r.ObjectItems(obj, name, path).Select(c => r.ReferenceOf(c.Item, c.Path)).ToList();

    public static FhirPeriod? Period(this FhirElementReader r, JsonElement obj, string name, string path)
    {
        if (r.Object(obj, name, path) is not { } period)
            return null;
        var periodPath = FhirElementReader.Child(path, name);
        var issuesBefore = r.Issues.Count;
        var (start, end) = (r.Date(period, "start", periodPath), r.Date(period, "end", periodPath));
        // R4 per-1: an end before the start is dropped, with the issue.
        if (start is { } from && end is { } to && to.UtcEnd < from.Utc)
        {
            r.ReportBefore(issuesBefore, FhirIssueCodes.InvalidDate, periodPath, "period.end is before period.start (R4 per-1): the end is ignored");
            end = null;
        }
        return new FhirPeriod(start, end);
    }

    /// <summary>Quantity and its profiles (SimpleQuantity, Age, Duration, Money-less); a value outside double range is an issue.</summary>
    public static FhirQuantity? Quantity(this FhirElementReader r, JsonElement obj, string name, string path)
    {
        if (r.Object(obj, name, path) is not { } quantity)
            return null;
        var q = FhirElementReader.Child(path, name);
        return new FhirQuantity(r.Decimal(quantity, "value", q), r.String(quantity, "unit", q), r.String(quantity, "system", q),
            r.String(quantity, "code", q), r.String(quantity, "comparator", q));
    }

    public static IReadOnlyList<FhirIdentifier> Identifiers(this FhirElementReader r, JsonElement obj, string path) =>
        r.ObjectItems(obj, "identifier", path)
            .Select(i => new FhirIdentifier(r.String(i.Item, "system", i.Path), r.String(i.Item, "value", i.Path)))
            .ToList();

    /// <summary>A [x] choice read as a dateTime: <c>{prefix}DateTime</c>, <c>{prefix}Instant</c>, or the start of <c>{prefix}Period</c>.</summary>
    public static (FhirDateTime? Start, FhirDateTime? End) DateTimeOrPeriod(this FhirElementReader r, JsonElement obj, string prefix, string path)
    {
        var single = r.Date(obj, prefix + "DateTime", path) ?? r.Date(obj, prefix + "Instant", path);
        if (single is not null)
            return (single, null);
        var period = r.Period(obj, prefix + "Period", path);
        return (period?.Start, period?.End);
    }

    /// <summary>medication[x]: medicationCodeableConcept or medicationReference.</summary>
    public static FhirMedicationChoice? MedicationChoice(this FhirElementReader r, JsonElement obj, string path)
    {
        var concept = r.Concept(obj, "medicationCodeableConcept", path);
        var reference = r.Reference(obj, "medicationReference", path);
        return concept is null && reference is null ? null : new FhirMedicationChoice(concept, reference);
    }
}
