using System.Globalization;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// Observation → measurement (category laboratory, vital-signs, or none) or observation (any other category), one row
/// per value: the Observation's own value and one row per component (blood pressure becomes a systolic and a diastolic
/// row, standards §3.1 measurement). AllergyIntolerance → observation (ETL-Synthea, IG AllergyMap).
/// </summary>
internal static class ObservationRows
{
    private static readonly string[] s_measurementCategories = ["laboratory", "vital-signs"];

    public static void AddObservation(FhirObservation observation, OmopSource source)
    {
        if (source.DroppedByStatus(observation.Status, "status", "cancelled"))
            return;
        var personId = source.PersonId(observation.Subject, "subject");
        if (personId is null)
            return;
        if ((observation.Effective ?? observation.Issued) is not { } when)
        {
            source.Warn(OmopIssueCodes.NoDate, "effective", "Observation has neither effective[x] nor issued; no row.");
            return;
        }
        var isMeasurement = IsMeasurement(observation);
        // A panel without its own value (blood pressure) is fully described by its components.
        if (observation.Value is not null || observation.Components.Count == 0)
            AddRow(source, isMeasurement, personId.Value, when, observation.Code, observation.Value, observation, "value");
        for (var i = 0; i < observation.Components.Count; i++)
        {
            var component = observation.Components[i];
            AddRow(source, isMeasurement, personId.Value, when, component.Code, component.Value, observation, $"component[{i}].value");
        }
    }

    public static void AddAllergy(FhirAllergyIntolerance allergy, OmopSource source)
    {
        if (source.DroppedByStatus(Code(allergy.VerificationStatus), "verificationStatus", "refuted"))
            return;
        var personId = source.PersonId(allergy.Patient, "patient");
        if (personId is null)
            return;
        if ((allergy.Onset ?? allergy.RecordedDate) is not { } when)
        {
            source.Warn(OmopIssueCodes.NoDate, "onset", "AllergyIntolerance has neither onset nor recordedDate; no row.");
            return;
        }
        var row = BeginObservation(source, personId.Value, when, allergy.Code, allergy.Encounter);
        row["observation_type_concept_id"] = OmopConcepts.TypeEhrEncounterRecord;
        // The substance is the observation's subject; its category (food, medication…) says what kind of allergy it is.
        row["value_as_string"] = allergy.Categories.Count == 0 ? "allergy" : string.Join(' ', allergy.Categories);
        row["qualifier_source_value"] = Code(allergy.ClinicalStatus);
        source.State.Sink(OmopTables.Observation).Write(row);
    }

    private static bool IsMeasurement(FhirObservation observation) =>
        observation.Categories.Count == 0
        || observation.Categories.Any(c => c.Codings.Any(x => Array.IndexOf(s_measurementCategories, x.Code) >= 0));

    private static void AddRow(OmopSource source, bool isMeasurement, long personId, FhirDateTime when, FhirCodeableConcept? code,
        FhirValue? value, FhirObservation observation, string element)
    {
        var number = Number(value, source, element);
        if (isMeasurement)
        {
            AddMeasurement(source, personId, when, code, value, number, observation);
            return;
        }
        var row = BeginObservation(source, personId, when, code, observation.Encounter);
        row["observation_type_concept_id"] = OmopConcepts.TypeObservationFromEhr;
        row["value_as_number"] = number;
        row["value_as_string"] = number is null ? ValueText(value) : null;
        SetCodedValue(row, value, source);
        SetUnit(row, value?.Quantity, source);
        source.State.Sink(OmopTables.Observation).Write(row);
    }

    private static void AddMeasurement(OmopSource source, long personId, FhirDateTime when, FhirCodeableConcept? code, FhirValue? value,
        double? number, FhirObservation observation)
    {
        var state = source.State;
        var row = state.Sink(OmopTables.Measurement).NewRow();
        var mapped = state.Concepts.Map(code);
        row["measurement_id"] = state.NextId(OmopTables.Measurement);
        row["person_id"] = personId;
        row["measurement_concept_id"] = mapped.ConceptId;
        OmopTime.SetStart(row, "measurement", when, state, personId);
        row["measurement_time"] = OmopTime.TimeOfDay(when);
        row["measurement_type_concept_id"] = OmopConcepts.TypeEhrEncounterRecord;
        row["operator_concept_id"] = OmopConcepts.Operator(value?.Quantity?.Comparator);
        row["value_as_number"] = number;
        SetCodedValue(row, value, source);
        row["value_source_value"] ??= number is null ? ValueText(value) : Format(number.Value);
        SetUnit(row, value?.Quantity, source);
        row["range_low"] = Finite(observation.ReferenceLow?.Value);
        row["range_high"] = Finite(observation.ReferenceHigh?.Value);
        source.SetVisit(row, observation.Encounter);
        row["measurement_source_value"] = mapped.SourceValue ?? "";
        row["measurement_source_concept_id"] = mapped.SourceConceptId;
        state.Sink(OmopTables.Measurement).Write(row);
    }

    private static OmopRow BeginObservation(OmopSource source, long personId, FhirDateTime when, FhirCodeableConcept? code, FhirReference? encounter)
    {
        var state = source.State;
        var row = state.Sink(OmopTables.Observation).NewRow();
        var mapped = state.Concepts.Map(code);
        row["observation_id"] = state.NextId(OmopTables.Observation);
        row["person_id"] = personId;
        row["observation_concept_id"] = mapped.ConceptId;
        OmopTime.SetStart(row, "observation", when, state, personId);
        source.SetVisit(row, encounter);
        row["observation_source_value"] = mapped.SourceValue ?? "";
        row["observation_source_concept_id"] = mapped.SourceConceptId;
        return row;
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

    /// <summary>Text for values that are neither numbers nor codes (string, boolean, dateTime, period, range, ratio, time).</summary>
    private static string? ValueText(FhirValue? value) => value?.Kind switch
    {
        FhirValueKind.String or FhirValueKind.Time => value.Text,
        FhirValueKind.Boolean => value.Boolean is { } b ? (b ? "true" : "false") : null,
        FhirValueKind.DateTime => value.DateTime is { } t ? t.Utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : null,
        FhirValueKind.Period => string.Create(CultureInfo.InvariantCulture, $"{value.Period?.Start?.Utc:yyyy-MM-dd}..{value.Period?.End?.Utc:yyyy-MM-dd}"),
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
