using FhirRisk.Synthetic.Model;

namespace FhirRisk.Synthetic.Fhir;

/// <summary>Writes one patient's timeline as resources of the export (one line each).</summary>
internal static class TimelineFhirWriter
{
    public static void Write(PatientTimeline timeline, BulkNdjsonWriter export)
    {
        var patientId = timeline.Profile.Id;
        PatientResourceWriter.Patient(export.Begin(FhirResourceTypes.Patient), timeline);
        export.End(FhirResourceTypes.Patient);
        foreach (var encounter in timeline.Encounters)
        {
            EncounterResourceWriter.Write(export.Begin(FhirResourceTypes.Encounter), encounter, patientId);
            export.End(FhirResourceTypes.Encounter);
        }
        foreach (var condition in timeline.Conditions)
        {
            ClinicalResourceWriter.Condition(export.Begin(FhirResourceTypes.Condition), condition, patientId);
            export.End(FhirResourceTypes.Condition);
        }
        foreach (var observation in timeline.Observations)
        {
            ClinicalResourceWriter.Observation(export.Begin(FhirResourceTypes.Observation), observation, patientId);
            export.End(FhirResourceTypes.Observation);
        }
        foreach (var medication in timeline.Medications)
        {
            var type = medication.Administered ? FhirResourceTypes.MedicationAdministration : FhirResourceTypes.MedicationRequest;
            ClinicalResourceWriter.Medication(export.Begin(type), medication, patientId);
            export.End(type);
        }
        foreach (var procedure in timeline.Procedures)
        {
            ClinicalResourceWriter.Procedure(export.Begin(FhirResourceTypes.Procedure), procedure, patientId);
            export.End(FhirResourceTypes.Procedure);
        }
    }

    /// <summary>The hospital's ICU Locations, once per export.</summary>
    public static void WriteLocations(BulkNdjsonWriter export)
    {
        foreach (var unit in Codes.IcuUnits.All)
        {
            PatientResourceWriter.Location(export.Begin(FhirResourceTypes.Location), unit);
            export.End(FhirResourceTypes.Location);
        }
    }
}
