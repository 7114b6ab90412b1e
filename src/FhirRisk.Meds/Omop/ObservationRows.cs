using System.Globalization;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// Observation → measurement (category laboratory, vital-signs, or none) or observation (any other category), or the
/// table of the code's standard concept domain (<see cref="OmopEventTable.For"/>), one row per value: the Observation's
/// own value and one row per component (blood pressure becomes a systolic and a diastolic row, standards §3.1
/// measurement), each routed by its own code. A LOINC 69453-9 Observation also names the cause of death.
/// AllergyIntolerance → observation (ETL-Synthea, IG AllergyMap).
/// </summary>
internal static class ObservationRows
{
    /// <summary>LOINC "Cause of death [US Standard Certificate of Death]"; Synthea codes the cause as a SNOMED value.</summary>
    private const string CauseOfDeath = "69453-9";

    private static readonly string[] s_measurementCategories = ["laboratory", "vital-signs"];

    public static void AddObservation(FhirObservation observation, OmopSource source)
    {
        if (source.DroppedByStatus(observation.Status, "status", FhirMapping.StatusRules.Observation))
            return;
        var personId = source.PersonId(observation.Subject, "subject");
        if (personId is null)
            return;
        if ((observation.Effective ?? observation.EffectiveEnd ?? observation.Issued) is not { } when)
        {
            source.Warn(OmopIssueCodes.NoDate, "effective", "Observation has neither effective[x] nor issued; no row.");
            return;
        }
        var resourceDefault = IsMeasurement(observation) ? OmopEventTable.Measurement : OmopEventTable.Observation;
        // A panel without its own value (blood pressure) is fully described by its components.
        // No value obtained (dataAbsentReason: not performed, declined, error…) is no measurement, as in the MEDS mapping.
        if (!FhirMapping.ObservationMapper.HasValue(observation.Value) && FhirMapping.ObservationMapper.NothingObtained(observation.DataAbsentReason))
            source.Inform(OmopIssueCodes.StatusDropped, "dataAbsentReason", "Observation without a value obtained (dataAbsentReason) is not exported.");
        else if (observation.Value is not null || observation.Components.Count == 0)
            AddRow(source, observation, resourceDefault, personId.Value, when, observation.Code, observation.Value, "value");
        for (var i = 0; i < observation.Components.Count; i++)
        {
            var component = observation.Components[i];
            if (!FhirMapping.ObservationMapper.HasValue(component.Value) && FhirMapping.ObservationMapper.NothingObtained(component.DataAbsentReason))
                continue;
            AddRow(source, observation, resourceDefault, personId.Value, when, component.Code, component.Value, $"component[{i}].value", component: true);
        }
        if (IsCauseOfDeath(observation) && observation.Value?.CodeableConcept is { } cause)
            source.State.Deaths.RecordCause(personId.Value, source.State.Concepts.Map(cause), when, OmopDeathCauseSource.Certificate);
    }

    public static void AddAllergy(FhirAllergyIntolerance allergy, OmopSource source)
    {
        if (source.DroppedByStatus(Code(allergy.VerificationStatus), "verificationStatus", "refuted"))
            return;
        var personId = source.PersonId(allergy.Patient, "patient");
        if (personId is null)
            return;
        if ((allergy.Onset ?? FhirMapping.AgeTimes.At(allergy.OnsetAge, source.Ids.Patient(personId.Value)) ?? allergy.RecordedDate) is not { } when)
        {
            source.Warn(OmopIssueCodes.NoDate, "onset", "AllergyIntolerance has neither onset nor recordedDate; no row.");
            return;
        }
        // Never routed by domain: the code names the substance, so an allergy to a drug would become a drug exposure.
        var table = OmopEventTable.Observation;
        var code = source.State.Concepts.Map(allergy.Code);
        var row = table.Begin(new OmopEvent(personId.Value, code, when, null, allergy.Encounter, OmopConcepts.TypeEhrEncounterRecord), source);
        // The substance is the observation's subject; its category (food, medication…) says what kind of allergy it is.
        row["value_as_string"] = allergy.Categories.Count == 0 ? "allergy" : string.Join(' ', allergy.Categories);
        row["qualifier_source_value"] = Code(allergy.ClinicalStatus);
        table.Write(row, source);
    }

    private static bool IsMeasurement(FhirObservation observation) =>
        observation.Categories.Count == 0
        || observation.Categories.Any(c => c.Codings.Any(x => Array.IndexOf(s_measurementCategories, x.Code) >= 0));

    private static bool IsCauseOfDeath(FhirObservation observation) =>
        observation.Code?.Codings.Any(c => c.Code == CauseOfDeath && OmopVocabularyIds.ForSystem(c.System) == "LOINC") == true;

    /// <summary>One value's row; value columns only where the table has them (measurement, observation).</summary>
    private static void AddRow(OmopSource source, FhirObservation observation, OmopEventTable resourceDefault, long personId, FhirDateTime when,
        FhirCodeableConcept? code, FhirValue? value, string element, bool component = false)
    {
        var mapped = source.State.Concepts.Map(code);
        var table = OmopEventTable.For(mapped.Domain, resourceDefault);
        // ETL-Synthea's "Observation recorded from EHR" is a type for the observation table; elsewhere "EHR encounter record".
        var type = table == OmopEventTable.Observation ? OmopConcepts.TypeObservationFromEhr : OmopConcepts.TypeEhrEncounterRecord;
        var row = table.Begin(new OmopEvent(personId, mapped, when, observation.EffectiveEnd, observation.Encounter, type), source);
        if (table == OmopEventTable.Measurement)
            SetMeasurementValue(row, value, component ? null : observation, source, element);
        else if (table == OmopEventTable.Observation)
            SetObservationValue(row, value, source, element);
        table.Write(row, source);
    }

    /// <summary>Number (with its comparator), coded value, the value as text, unit and the reference range.</summary>
    /// <param name="ownValue">The Observation when the row holds its own value; null for a component's row.</param>
    private static void SetMeasurementValue(OmopRow row, FhirValue? value, FhirObservation? ownValue, OmopSource source, string element)
    {
        var number = Number(value, source, element);
        row["operator_concept_id"] = OmopConcepts.Operator(value?.Quantity?.Comparator);
        row["value_as_number"] = number;
        SetCodedValue(row, value, source);
        row["value_source_value"] ??= number is null ? ValueText(value, source.State.Zone) : Format(number.Value);
        SetUnit(row, value?.Quantity, source);
        // Observation.referenceRange is the range of the Observation's own value; a component's row (a systolic
        // pressure of a panel) has its own range in component.referenceRange, which is not read: it gets none rather
        // than the panel's.
        row["range_low"] = Finite(ownValue?.ReferenceLow?.Value);
        row["range_high"] = Finite(ownValue?.ReferenceHigh?.Value);
    }

    /// <summary>Number, coded value, or the value as text when it is neither; unit.</summary>
    private static void SetObservationValue(OmopRow row, FhirValue? value, OmopSource source, string element)
    {
        var number = Number(value, source, element);
        row["value_as_number"] = number;
        row["value_as_string"] = number is null ? ValueText(value, source.State.Zone) : null;
        SetCodedValue(row, value, source);
        SetUnit(row, value?.Quantity, source);
    }

    private static void SetCodedValue(OmopRow row, FhirValue? value, OmopSource source)
    {
        if (value?.CodeableConcept is not { } concept)
            return;
        var mapped = source.State.Concepts.Map(concept);
        row["value_as_concept_id"] = mapped.ConceptId;
        row["value_source_value"] = mapped.SourceValue;
    }

    private static void SetUnit(OmopRow row, FhirQuantity? quantity, OmopSource source)
    {
        row["unit_source_value"] = quantity?.Code ?? quantity?.Unit;
        row["unit_concept_id"] = source.State.Concepts.UnitConceptId(quantity);
    }

    /// <summary>valueQuantity.value or valueInteger; a non-finite number is reported and dropped (the text is kept).</summary>
    private static double? Number(FhirValue? value, OmopSource source, string element)
    {
        var number = value?.Kind switch
        {
            FhirValueKind.Quantity => value.Quantity?.Value,
            FhirValueKind.Integer => value.Number,
            _ => null,
        };
        if (number is { } n && !double.IsFinite(n))
        {
            source.Warn(OmopIssueCodes.ValueNotFinite, element, "Numeric value is not finite; value_as_number left empty.");
            return null;
        }
        return number;
    }

    /// <summary>Text for values that are neither numbers nor codes (string, boolean, dateTime, period, range, ratio, time);
    /// times as the date columns write them, on the site's clock and days (<see cref="OmopTime"/>).</summary>
    private static string? ValueText(FhirValue? value, TimeZoneInfo zone) => value?.Kind switch
    {
        FhirValueKind.String or FhirValueKind.Time => value.Text,
        FhirValueKind.Boolean => value.Boolean is { } b ? (b ? "true" : "false") : null,
        FhirValueKind.DateTime => value.DateTime is { } t ? OmopTime.StartDateTime(t, zone).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : null,
        FhirValueKind.Period => string.Create(CultureInfo.InvariantCulture,
            $"{(value.Period?.Start is { } from ? OmopTime.StartDate(from, zone) : null):yyyy-MM-dd}..{(value.Period?.End is { } to ? OmopTime.StartDate(to, zone) : null):yyyy-MM-dd}"),
        FhirValueKind.Range => $"{Format(value.Low?.Value)}-{Format(value.High?.Value)} {value.Low?.Code ?? value.High?.Code}".Trim(),
        FhirValueKind.Ratio => $"{Format(value.Numerator?.Value)}/{Format(value.Denominator?.Value)}",
        FhirValueKind.Quantity => value.Quantity?.Value is { } q ? Format(q) : null,
        _ => null,
    };

    private static string Format(double? number) => number?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    private static string? Code(FhirCodeableConcept? concept) =>
        concept?.Codings.FirstOrDefault(c => !string.IsNullOrEmpty(c.Code))?.Code;
}
