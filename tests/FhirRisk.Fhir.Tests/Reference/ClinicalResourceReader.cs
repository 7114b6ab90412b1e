using System.Text.Json;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Tests.Reference;

/// <summary>
/// Reads Patient, Encounter, Location, Condition, Observation and DiagnosticReport (R4 element names; the [x] choices
/// we keep are documented on the Model records). <c>p</c> is the resource's path ("" at the root, <c>contained[i]</c> inside).
/// </summary>
internal static class ClinicalResourceReader
{
    public static FhirPatient Patient(FhirElementReader r, JsonElement o, string p)
    {
        var deceased = r.Date(o, "deceasedDateTime", p);
        // Each element read in the order the streaming reader reports its issues.
        var gender = r.String(o, "gender", p);
        var birthDate = r.Date(o, "birthDate", p);
        var deceasedBoolean = deceased is null ? r.Boolean(o, "deceasedBoolean", p) : true;
        var extensions = r.ObjectItems(o, "extension", p).Select(e => Extension(r, e.Item, e.Path)).OfType<FhirExtension>().ToList();
        // Read in the seed's property order (other, then type), so that the issues come in the streaming reader's order.
        var links = r.ObjectItems(o, "link", p).Select(l => (Other: r.Reference(l.Item, "other", l.Path), Type: r.String(l.Item, "type", l.Path))).ToList();
        return new FhirPatient
        {
            Gender = gender,
            BirthDate = birthDate,
            DeceasedBoolean = deceasedBoolean,
            DeceasedDateTime = deceased,
            Extensions = extensions,
            ReplacedBy = links.FirstOrDefault(l => l.Type == "replaced-by" && l.Other is not null).Other,
            Replaces = [.. links.Where(l => l.Type == "replaces" && l.Other is not null).Select(l => l.Other!)],
        };
    }

    /// <summary>
    /// Flattens an extension: its own value and its sub-extensions' values (US Core race/ethnicity put codings in
    /// <c>ombCategory</c> and <c>detailed</c>, text in <c>text</c>; http://hl7.org/fhir/us/core/StructureDefinition-us-core-race.html).
    /// </summary>
    private static FhirExtension? Extension(FhirElementReader r, JsonElement extension, string path)
    {
        if (r.String(extension, "url", path) is not { } url)
            return null;
        var codings = new List<FhirCoding>();
        var text = ExtensionValue(r, extension, path, codings);
        foreach (var (sub, subPath) in r.ObjectItems(extension, "extension", path))
        {
            var subText = ExtensionValue(r, sub, subPath, codings);
            if (r.String(sub, "url", subPath) == "text" || text is null)
                text = subText ?? text;
        }
        return new FhirExtension(url, codings, text);
    }

    private static string? ExtensionValue(FhirElementReader r, JsonElement extension, string path, List<FhirCoding> codings)
    {
        if (r.Coding(extension, "valueCoding", path) is { } coding)
            codings.Add(coding);
        if (r.Concept(extension, "valueCodeableConcept", path) is { } concept)
            codings.AddRange(concept.Codings);
        return r.String(extension, "valueString", path) ?? r.String(extension, "valueCode", path);
    }

    public static FhirEncounter Encounter(FhirElementReader r, JsonElement o, string p)
    {
        var hospitalization = r.Object(o, "hospitalization", p);
        var h = FhirElementReader.Child(p, "hospitalization");
        return new FhirEncounter
        {
            Status = r.String(o, "status", p),
            Class = r.Coding(o, "class", p),
            Types = r.Concepts(o, "type", p),
            ServiceType = r.Concept(o, "serviceType", p),
            Subject = r.Reference(o, "subject", p),
            Period = r.Period(o, "period", p),
            AdmitSource = hospitalization is { } a ? r.Concept(a, "admitSource", h) : null,
            DischargeDisposition = hospitalization is { } d ? r.Concept(d, "dischargeDisposition", h) : null,
            PartOf = r.Reference(o, "partOf", p),
            Locations = r.ObjectItems(o, "location", p).Select(l => EncounterLocation(r, l.Item, l.Path)).OfType<FhirEncounterLocation>().ToList(),
            ReasonCodes = r.Concepts(o, "reasonCode", p),
        };
    }

    private static FhirEncounterLocation? EncounterLocation(FhirElementReader r, JsonElement location, string path) =>
        r.Reference(location, "location", path) is { } reference
            ? new FhirEncounterLocation(reference, r.Concept(location, "physicalType", path), r.Period(location, "period", path))
            : null;

    public static FhirLocation Location(FhirElementReader r, JsonElement o, string p) => new()
    {
        Name = r.String(o, "name", p),
        Types = r.Concepts(o, "type", p),
        PhysicalType = r.Concept(o, "physicalType", p),
    };

    public static FhirCondition Condition(FhirElementReader r, JsonElement o, string p) => new()
    {
        Subject = r.Reference(o, "subject", p),
        Encounter = r.Reference(o, "encounter", p),
        Code = r.Concept(o, "code", p),
        Categories = r.Concepts(o, "category", p),
        ClinicalStatus = r.Concept(o, "clinicalStatus", p),
        VerificationStatus = r.Concept(o, "verificationStatus", p),
        Onset = r.DateTimeOrPeriod(o, "onset", p).Start,
        OnsetAge = r.Quantity(o, "onsetAge", p),
        Abatement = r.Date(o, "abatementDateTime", p) ?? r.Period(o, "abatementPeriod", p)?.End,
        RecordedDate = r.Date(o, "recordedDate", p),
    };

    public static FhirObservation Observation(FhirElementReader r, JsonElement o, string p)
    {
        var (start, end) = r.DateTimeOrPeriod(o, "effective", p);
        var range = r.FirstObject(o, "referenceRange", p);
        return new FhirObservation
        {
            Status = r.String(o, "status", p),
            Subject = r.Reference(o, "subject", p),
            Encounter = r.Reference(o, "encounter", p),
            Code = r.Concept(o, "code", p),
            Categories = r.Concepts(o, "category", p),
            Effective = start,
            EffectiveEnd = end,
            Issued = r.Date(o, "issued", p),
            Value = r.Value(o, p),
            DataAbsentReason = r.Concept(o, "dataAbsentReason", p),
            Components = r.ObjectItems(o, "component", p)
                .Select(c => new FhirObservationComponent(r.Concept(c.Item, "code", c.Path), r.Value(c.Item, c.Path),
                    r.Concept(c.Item, "dataAbsentReason", c.Path)))
                .ToList(),
            ReferenceLow = range is { } low ? r.Quantity(low.Item, "low", low.Path) : null,
            ReferenceHigh = range is { } high ? r.Quantity(high.Item, "high", high.Path) : null,
        };
    }

    public static FhirDiagnosticReport DiagnosticReport(FhirElementReader r, JsonElement o, string p) => new()
    {
        Status = r.String(o, "status", p),
        Subject = r.Reference(o, "subject", p),
        Encounter = r.Reference(o, "encounter", p),
        Code = r.Concept(o, "code", p),
        Effective = r.DateTimeOrPeriod(o, "effective", p).Start,
        Issued = r.Date(o, "issued", p),
        Results = r.References(o, "result", p),
        ConclusionCodes = r.Concepts(o, "conclusionCode", p),
    };
}
