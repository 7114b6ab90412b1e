using System.Text.Json;
using FhirRisk.Synthetic.Codes;
using FhirRisk.Synthetic.Model;

namespace FhirRisk.Synthetic.Fhir;

/// <summary>Condition, Observation, MedicationRequest, MedicationAdministration and Procedure, as R4 JSON.</summary>
internal static class ClinicalResourceWriter
{
    private static readonly Coded s_active = new(CodeSystemUris.ConditionClinical, "active", "Active");
    private static readonly Coded s_confirmed = new(CodeSystemUris.ConditionVerification, "confirmed", "Confirmed");
    private static readonly Coded s_problemList = new(CodeSystemUris.ConditionCategory, "problem-list-item", "Problem List Item");
    private static readonly Coded s_encounterDiagnosis = new(CodeSystemUris.ConditionCategory, "encounter-diagnosis", "Encounter Diagnosis");
    private static readonly Coded s_laboratory = new(CodeSystemUris.ObservationCategory, "laboratory", "Laboratory");
    private static readonly Coded s_vitalSigns = new(CodeSystemUris.ObservationCategory, "vital-signs", "Vital Signs");

    public static void Condition(Utf8JsonWriter json, ConditionRecord condition, string patientId)
    {
        json.WriteStartObject();
        json.WriteString("resourceType"u8, FhirResourceTypes.Condition);
        json.WriteString("id"u8, condition.Id);
        FhirJson.CodeableConcept(json, "clinicalStatus"u8, s_active);
        FhirJson.CodeableConcept(json, "verificationStatus"u8, s_confirmed);
        FhirJson.CodeableConceptList(json, "category"u8, condition.EncounterId is null ? s_problemList : s_encounterDiagnosis);
        FhirJson.CodeableConcept(json, "code"u8, condition.Code);
        FhirJson.Reference(json, "subject"u8, FhirResourceTypes.Patient, patientId);
        if (condition.EncounterId is { } encounter)
            FhirJson.Reference(json, "encounter"u8, FhirResourceTypes.Encounter, encounter);
        if (condition.Onset is { } onset)
            FhirJson.DateTime(json, "onsetDateTime"u8, onset);
        FhirJson.DateTime(json, "recordedDate"u8, condition.Recorded);
        json.WriteEndObject();
    }

    public static void Observation(Utf8JsonWriter json, ObservationRecord observation, string patientId)
    {
        var measurement = observation.Measurement;
        json.WriteStartObject();
        json.WriteString("resourceType"u8, FhirResourceTypes.Observation);
        json.WriteString("id"u8, observation.Id);
        json.WriteString("status"u8, "final");
        FhirJson.CodeableConceptList(json, "category"u8, measurement.Category == "laboratory" ? s_laboratory : s_vitalSigns);
        FhirJson.CodeableConcept(json, "code"u8, observation.Panel ?? measurement.Code);
        FhirJson.Reference(json, "subject"u8, FhirResourceTypes.Patient, patientId);
        FhirJson.Reference(json, "encounter"u8, FhirResourceTypes.Encounter, observation.EncounterId);
        FhirJson.DateTime(json, "effectiveDateTime"u8, observation.Time);
        if (observation.Panel is null)
        {
            FhirJson.Quantity(json, "valueQuantity"u8, observation.Value, measurement.Unit);
        }
        else
        {
            json.WriteStartArray("component"u8);
            Component(json, measurement, observation.Value);
            Component(json, observation.SecondMeasurement!, observation.SecondValue);
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    public static void Medication(Utf8JsonWriter json, MedicationRecord medication, string patientId)
    {
        json.WriteStartObject();
        if (medication.Administered)
        {
            json.WriteString("resourceType"u8, FhirResourceTypes.MedicationAdministration);
            json.WriteString("id"u8, medication.Id);
            json.WriteString("status"u8, "completed");
            FhirJson.CodeableConcept(json, "medicationCodeableConcept"u8, medication.Drug);
            FhirJson.Reference(json, "subject"u8, FhirResourceTypes.Patient, patientId);
            FhirJson.Reference(json, "context"u8, FhirResourceTypes.Encounter, medication.EncounterId);
            FhirJson.DateTime(json, "effectiveDateTime"u8, medication.Time);
        }
        else
        {
            json.WriteString("resourceType"u8, FhirResourceTypes.MedicationRequest);
            json.WriteString("id"u8, medication.Id);
            json.WriteString("status"u8, "completed");
            json.WriteString("intent"u8, "order");
            FhirJson.CodeableConcept(json, "medicationCodeableConcept"u8, medication.Drug);
            FhirJson.Reference(json, "subject"u8, FhirResourceTypes.Patient, patientId);
            FhirJson.Reference(json, "encounter"u8, FhirResourceTypes.Encounter, medication.EncounterId);
            FhirJson.DateTime(json, "authoredOn"u8, medication.Time);
        }
        json.WriteEndObject();
    }

    public static void Procedure(Utf8JsonWriter json, ProcedureRecord procedure, string patientId)
    {
        json.WriteStartObject();
        json.WriteString("resourceType"u8, FhirResourceTypes.Procedure);
        json.WriteString("id"u8, procedure.Id);
        json.WriteString("status"u8, "completed");
        FhirJson.CodeableConcept(json, "code"u8, procedure.Code);
        FhirJson.Reference(json, "subject"u8, FhirResourceTypes.Patient, patientId);
        FhirJson.Reference(json, "encounter"u8, FhirResourceTypes.Encounter, procedure.EncounterId);
        FhirJson.DateTime(json, "performedDateTime"u8, TimedProcedure(procedure.Time));
        json.WriteEndObject();
    }

    /// <summary>
    /// A procedure's time as written: one second later when it falls at exactly midnight, which ingestion reads as a
    /// procedure recorded by date and moves to the end of its day (docs/formats/fhir-ingestion.md). The simulator
    /// charts procedures to the minute, so about 1 in 1,440 would land there and move by up to a day.
    /// </summary>
    internal static DateTime TimedProcedure(DateTime time) => time.TimeOfDay == TimeSpan.Zero ? time.AddSeconds(1) : time;

    private static void Component(Utf8JsonWriter json, Measurement measurement, double value)
    {
        json.WriteStartObject();
        FhirJson.CodeableConcept(json, "code"u8, measurement.Code);
        FhirJson.Quantity(json, "valueQuantity"u8, value, measurement.Unit);
        json.WriteEndObject();
    }
}
