using System.Text.Json;
using FhirRisk.Synthetic.Codes;
using FhirRisk.Synthetic.Model;

namespace FhirRisk.Synthetic.Fhir;

/// <summary>
/// Encounters with the v3 ActCode class and a SNOMED CT type per kind. An ICU stay is an inpatient-class sub-encounter
/// (<c>partOf</c> the hospital stay) typed "Admission to intensive care unit" and located in an ICU Location, which is
/// what our ingestion (and MIMIC-IV's FHIR export) reads as an ICU stay.
/// </summary>
internal static class EncounterResourceWriter
{
    private static readonly Coded s_ambulatory = new(CodeSystemUris.ActCode, "AMB", "ambulatory");
    private static readonly Coded s_emergency = new(CodeSystemUris.ActCode, "EMER", "emergency");
    private static readonly Coded s_inpatient = new(CodeSystemUris.ActCode, "IMP", "inpatient encounter");
    private static readonly Coded s_followUp = new(CodeSystemUris.Snomed, "390906007", "Follow-up encounter (procedure)");
    private static readonly Coded s_emergencyAdmission = new(CodeSystemUris.Snomed, "50849002", "Emergency room admission (procedure)");
    private static readonly Coded s_hospitalAdmission = new(CodeSystemUris.Snomed, "32485007", "Hospital admission (procedure)");
    private static readonly Coded s_icuAdmission = new(CodeSystemUris.Snomed, "305351004", "Admission to intensive care unit (procedure)");

    public static void Write(Utf8JsonWriter json, EncounterRecord encounter, string patientId)
    {
        var (encounterClass, type) = encounter.Kind switch
        {
            EncounterKind.Ambulatory => (s_ambulatory, s_followUp),
            EncounterKind.Emergency => (s_emergency, s_emergencyAdmission),
            EncounterKind.Inpatient => (s_inpatient, s_hospitalAdmission),
            _ => (s_inpatient, s_icuAdmission),
        };
        json.WriteStartObject();
        json.WriteString("resourceType"u8, FhirResourceTypes.Encounter);
        json.WriteString("id"u8, encounter.Id);
        json.WriteString("status"u8, "finished");
        FhirJson.Coding(json, "class"u8, encounterClass);
        FhirJson.CodeableConceptList(json, "type"u8, type);
        FhirJson.Reference(json, "subject"u8, FhirResourceTypes.Patient, patientId);
        FhirJson.Period(json, encounter.Start, encounter.End);
        if (encounter.AdmitSource is not null || encounter.Disposition is not null)
        {
            json.WriteStartObject("hospitalization"u8);
            if (encounter.AdmitSource is { } source)
                FhirJson.CodeableConcept(json, "admitSource"u8, source);
            if (encounter.Disposition is { } disposition)
                FhirJson.CodeableConcept(json, "dischargeDisposition"u8, disposition);
            json.WriteEndObject();
        }
        if (encounter.Unit is { } unit)
        {
            json.WriteStartArray("location"u8);
            json.WriteStartObject();
            json.WriteStartObject("location"u8);
            json.WriteString("reference"u8, "Location/" + unit.LocationId);
            json.WriteString("display"u8, unit.Name);
            json.WriteEndObject();
            json.WriteString("status"u8, "completed");
            FhirJson.Period(json, encounter.Start, encounter.End);
            json.WriteEndObject();
            json.WriteEndArray();
        }
        if (encounter.PartOfId is { } parent)
            FhirJson.Reference(json, "partOf"u8, FhirResourceTypes.Encounter, parent);
        json.WriteEndObject();
    }
}
