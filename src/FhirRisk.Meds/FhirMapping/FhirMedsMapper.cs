using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// FHIR R4 resource → MEDS events (pass 2 of ingestion; <see cref="FhirIndex"/> holds pass 1). One mapper per resource
/// type; rules in docs/formats/fhir-ingestion.md "FHIR → MEDS mapping". Mapping never throws on data: problems become
/// <see cref="Issue"/>s with <see cref="FhirMappingIssueCodes"/>. Location and Medication yield no events.
/// </summary>
public sealed class FhirMedsMapper(FhirIndex index, FhirMappingSettings settings)
{
    /// <summary>The names of the codes mapped so far, from their codings' displays.</summary>
    public CodeDescriptions Descriptions { get; } = new();

    public void Map(FhirResource resource, FhirResourceEnvelope envelope, ICollection<MedsEvent> events, ICollection<Issue> issues)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(issues);
        var context = new MappingContext(index, settings, resource, envelope, events, issues, Descriptions);
        switch (resource)
        {
            case FhirPatient patient:
                PatientMapper.Map(patient, context);
                break;
            case FhirEncounter encounter:
                EncounterMapper.Map(encounter, context);
                break;
            case FhirCondition condition:
                ConditionMapper.Map(condition, context);
                break;
            case FhirObservation observation:
                ObservationMapper.Map(observation, context);
                break;
            case FhirMedicationEvent medication:
                MedicationMapper.Map(medication, context);
                break;
            case FhirProcedure procedure:
                ProcedureMapper.Map(procedure, context);
                break;
            case FhirImmunization immunization:
                ImmunizationMapper.Map(immunization, context);
                break;
            case FhirDiagnosticReport report:
                DiagnosticReportMapper.Map(report, context);
                break;
            case FhirAllergyIntolerance allergy:
                AllergyIntoleranceMapper.Map(allergy, context);
                break;
        }
    }
}
