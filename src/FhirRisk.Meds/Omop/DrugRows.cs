using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// MedicationRequest / Administration / Dispense / Statement and Immunization → drug_exposure (standards §3.2), or the
/// table of the code's standard concept domain (<see cref="OmopEventTable.For"/>). The type concept says which kind of
/// record it was, so requested and administered drugs stay distinguishable.
/// </summary>
internal static class DrugRows
{
    public static void AddMedication(FhirMedicationEvent medication, OmopSource source)
    {
        // What the MEDS mapping leaves out is not exported either (StatusRules; docs/formats/omop.md "Status rules").
        if (source.DroppedByStatus(medication.Status, "status", FhirMapping.StatusRules.Medication(medication).Dropped))
            return;
        if (medication is FhirMedicationRequest request && FhirMapping.StatusRules.Drops(FhirMapping.StatusRules.NonOrderIntents, request.Intent))
        {
            source.Inform(OmopIssueCodes.StatusDropped, "intent", $"MedicationRequest with intent '{request.Intent}' is not exported.");
            return;
        }
        if (medication is FhirMedicationRequest { DoNotPerform: true })
        {
            source.Inform(OmopIssueCodes.StatusDropped, "doNotPerform", "MedicationRequest with doNotPerform is not exported.");
            return;
        }
        var personId = source.PersonId(medication.Subject, "subject");
        if (personId is null)
            return;
        if (medication.Start is not { } start)
        {
            source.Warn(OmopIssueCodes.NoDate, "effective", $"{medication.ResourceType} has no start time; no row.");
            return;
        }
        var code = DrugCode(medication, source);
        var table = OmopEventTable.For(code.Domain, OmopEventTable.Drug);
        // Only drug_exposure needs an end (NOT NULL), so only there is it inferred.
        var end = table == OmopEventTable.Drug ? End(medication, start, source.State.Zone) : medication.End;
        var row = table.Begin(new OmopEvent(personId.Value, code, start, end, medication.Encounter, TypeConcept(medication)), source);
        if (table == OmopEventTable.Drug)
            SetDrugDetails(row, medication, source);
        table.Write(row, source);
    }

    public static void AddImmunization(FhirImmunization immunization, OmopSource source)
    {
        if (source.DroppedByStatus(immunization.Status, "status", "not-done"))
            return;
        var personId = source.PersonId(immunization.Patient, "patient");
        if (personId is null)
            return;
        if ((immunization.Occurrence ?? immunization.Recorded) is not { } when)
        {
            source.Warn(OmopIssueCodes.NoDate, "occurrence", "Immunization has no occurrenceDateTime; no row.");
            return;
        }
        // A vaccination is a single point in time: drug_exposure's end falls back to the start (standards §3.2 "Immunization").
        var code = source.State.Concepts.Map(immunization.VaccineCode);
        var table = OmopEventTable.For(code.Domain, OmopEventTable.Drug);
        var row = table.Begin(new OmopEvent(personId.Value, code, when, null, immunization.Encounter, OmopConcepts.TypeEhrEncounterRecord), source);
        if (table == OmopEventTable.Drug)
            row["lot_number"] = immunization.LotNumber;
        table.Write(row, source);
    }

    /// <summary>The columns only drug_exposure has: verbatim end, sig, route, dose unit, refills, quantity, days supply.</summary>
    private static void SetDrugDetails(OmopRow row, FhirMedicationEvent medication, OmopSource source)
    {
        row["verbatim_end_date"] = medication.End is { } end ? OmopTime.EndDate(end, source.State.Zone) : null;
        row["sig"] = medication.DosageText;
        var route = source.State.Concepts.Map(medication.Route);
        row["route_source_value"] = route.SourceValue;
        row["route_concept_id"] = medication.Route is null ? null : route.ConceptId;
        row["dose_unit_source_value"] = medication.Dose?.Code ?? medication.Dose?.Unit;
        switch (medication)
        {
            case FhirMedicationRequest request:
                row["refills"] = (long?)request.Refills;
                row["quantity"] = Finite(request.DispenseQuantity?.Value);
                row["days_supply"] = DaysSupply(request);
                break;
            case FhirMedicationDispense dispense:
                row["quantity"] = Finite(dispense.Dose?.Value);
                row["days_supply"] = DaysSupply(dispense);
                break;
            case FhirMedicationAdministration administration:
                // What was given: the dose's amount, beside its unit (dose_unit_source_value).
                row["quantity"] = Finite(administration.Dose?.Value);
                break;
        }
    }

    /// <summary>medication[x]: the concept, else the referenced Medication's code (contained, bundle or export).</summary>
    private static OmopCode DrugCode(FhirMedicationEvent medication, OmopSource source)
    {
        if (medication.Medication?.Concept is { } concept)
            return source.State.Concepts.Map(concept);
        var resolved = source.Ids.Medication(medication.Medication?.Reference, medication, source.Envelope);
        var code = source.State.Concepts.Map(resolved?.Code);
        return code.SourceValue is null ? code with { SourceValue = medication.Medication?.Reference?.Reference } : code;
    }

    /// <summary>The end date is NOT NULL: the given end, else start + days supply for dispenses, else the start.</summary>
    private static FhirDateTime End(FhirMedicationEvent medication, FhirDateTime start, TimeZoneInfo zone)
    {
        if (medication.End is { } end)
            return end;
        if (DaysSupply(medication) is { } days && days > 0 && start.Utc < DateTime.MaxValue.AddDays(-days))
            // A day of the site's calendar, read as a FHIR date is read there, so its end is that local day's end.
            return Fhir.FhirDates.InZone(new FhirDateTime(OmopTime.StartDate(start, zone).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).AddDays(days - 1), FhirDatePrecision.Day),
                withoutZone: false, zone);
        return start;
    }

    private static long TypeConcept(FhirMedicationEvent medication) => medication switch
    {
        FhirMedicationRequest => OmopConcepts.TypeEhrPrescription,
        FhirMedicationAdministration => OmopConcepts.TypeEhrAdministration,
        FhirMedicationDispense => OmopConcepts.TypeEhrDispensing,
        _ => OmopConcepts.TypePatientSelfReport,
    };

    /// <summary>A dispense's daysSupply, or a request's expectedSupplyDuration in days (UCUM units of a Duration); null
    /// for other resources and for values that are not a plausible number of days.</summary>
    private static long? DaysSupply(FhirMedicationEvent medication)
    {
        var days = medication switch
        {
            FhirMedicationDispense dispense => dispense.DaysSupply?.Value,
            FhirMedicationRequest { ExpectedSupplyDuration: { Value: { } value } duration } => (DurationDays(duration.Code) ?? DurationDays(duration.Unit)) is { } perUnit ? value * perUnit : null,
            _ => null,
        };
        // Whole days, half up; a supply of part of a day lasts into it (at least one day).
        return days is { } d && double.IsFinite(d) && d is >= 0 and <= 36_500 ? (long)Math.Max(d > 0 ? 1 : 0, Math.Round(d, MidpointRounding.AwayFromZero)) : null;
    }

    /// <summary>Days per unit of a FHIR Duration (UCUM: h, d, wk, mo, a, and their spelled-out forms); null for others.</summary>
    private static double? DurationDays(string? unit) => unit?.Trim().ToLowerInvariant() switch
    {
        "h" or "hour" or "hours" => 1.0 / 24,
        "d" or "day" or "days" => 1,
        "wk" or "week" or "weeks" => 7,
        "mo" or "month" or "months" => 30,
        "a" or "year" or "years" => 365,
        _ => null,
    };

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
