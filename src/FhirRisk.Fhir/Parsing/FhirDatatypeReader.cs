using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Parsing;

/// <summary>Reads one element (the current property's value or array item) into a record; null when absent or unusable.</summary>
internal delegate T? ElementRead<T>(ref FhirElementReader reader) where T : class;

/// <summary>
/// Reads the R4 general-purpose datatypes (https://hl7.org/fhir/R4/datatypes.html) into the Model records. Each reads
/// the current property's value or array item; an object is read whole even when some of its elements are bad.
/// </summary>
internal static class FhirDatatypeReader
{
    private enum CodingOrder
    {
        System,
        Code,
        Display,
    }

    private enum ConceptOrder
    {
        Coding,
        Text,
    }

    private enum ReferenceOrder
    {
        Reference,
        Display,
    }

    private enum PeriodOrder
    {
        Start,
        End,
    }

    private enum QuantityOrder
    {
        Value,
        Unit,
        System,
        Code,
        Comparator,
    }

    /// <summary>The non-null records <paramref name="read"/> makes of an array's items (FHIR JSON always writes repeating elements as arrays).</summary>
    public static IReadOnlyList<T> List<T>(this ref FhirElementReader r, ElementRead<T> read) where T : class
    {
        if (!r.Array())
            return [];
        T? first = null;
        List<T>? items = null; // most repeating elements hold one item: a list only from the second
        while (r.NextItem())
        {
            if (read(ref r) is not { } item)
                continue;
            if (first is null)
                first = item;
            else
                (items ??= [first]).Add(item);
        }
        return items ?? (first is null ? [] : [first]);
    }

    /// <summary>An array of repeated strings (profiles, category codes); items of other types are issues.</summary>
    public static IReadOnlyList<string> Strings(this ref FhirElementReader r) => r.List(static (ref FhirElementReader item) => item.RepeatedString());

    public static FhirCoding? Coding(this ref FhirElementReader r)
    {
        if (!r.Object())
            return null;
        string? system = null, code = null, display = null;
        while (r.NextProperty())
        {
            if (r.Is("system"u8, CodingOrder.System))
                system = r.RepeatedString();
            else if (r.Is("code"u8, CodingOrder.Code))
                code = r.RepeatedString();
            else if (r.Is("display"u8, CodingOrder.Display))
                display = r.RepeatedString();
            else
                r.Skip();
        }
        return new FhirCoding(system, code, display);
    }

    public static FhirCodeableConcept? Concept(this ref FhirElementReader r)
    {
        if (!r.Object())
            return null;
        IReadOnlyList<FhirCoding> codings = [];
        string? text = null;
        while (r.NextProperty())
        {
            if (r.Is("coding"u8, ConceptOrder.Coding))
                codings = r.List(Coding);
            else if (r.Is("text"u8, ConceptOrder.Text))
                text = r.RepeatedString();
            else
                r.Skip();
        }
        return new FhirCodeableConcept(codings, text);
    }

    public static IReadOnlyList<FhirCodeableConcept> Concepts(this ref FhirElementReader r) => r.List(Concept);

    public static FhirReference? Reference(this ref FhirElementReader r)
    {
        if (!r.Object())
            return null;
        string? reference = null, display = null;
        while (r.NextProperty())
        {
            // A bundle's resources name the same patient and the same few encounters over and over.
            if (r.Is("reference"u8, ReferenceOrder.Reference))
                reference = r.RepeatedString();
            else if (r.Is("display"u8, ReferenceOrder.Display))
                display = r.String();
            else
                r.Skip();
        }
        return new FhirReference(reference, display);
    }

    public static IReadOnlyList<FhirReference> References(this ref FhirElementReader r) => r.List(Reference);

    public static FhirPeriod? Period(this ref FhirElementReader r)
    {
        if (!r.Object())
            return null;
        FhirDateTime? start = null, end = null;
        while (r.NextProperty())
        {
            if (r.Is("start"u8, PeriodOrder.Start))
                start = r.Date();
            else if (r.Is("end"u8, PeriodOrder.End))
                end = r.Date();
            else
                r.Skip();
        }
        // R4 per-1: a period's start is not after its end. An end before the start would write a stay's discharge before
        // its admission (review s21-fhir L3); which of the two is wrong is not known, so the end, the later-written
        // one in an EHR, is dropped with the issue.
        if (start is { } from && end is { } to && to.UtcEnd < from.Utc)
        {
            r.Report(FhirIssueCodes.InvalidDate, "period.end is before period.start (R4 per-1): the end is ignored");
            end = null;
        }
        return new FhirPeriod(start, end);
    }

    /// <summary>Quantity and its profiles (SimpleQuantity, Age, Duration, Money-less); a value outside double range is an issue.</summary>
    public static FhirQuantity? Quantity(this ref FhirElementReader r)
    {
        if (!r.Object())
            return null;
        double? value = null;
        string? unit = null, system = null, code = null, comparator = null;
        while (r.NextProperty())
        {
            if (r.Is("value"u8, QuantityOrder.Value))
                value = r.Decimal();
            else if (r.Is("unit"u8, QuantityOrder.Unit))
                unit = r.RepeatedString();
            else if (r.Is("system"u8, QuantityOrder.System))
                system = r.RepeatedString();
            else if (r.Is("code"u8, QuantityOrder.Code))
                code = r.RepeatedString();
            else if (r.Is("comparator"u8, QuantityOrder.Comparator))
                comparator = r.RepeatedString();
            else
                r.Skip();
        }
        return new FhirQuantity(value, unit, system, code, comparator);
    }
}
