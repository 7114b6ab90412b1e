namespace FhirRisk.Fhir;

/// <summary>
/// The R4 resource types that EHR exports (Synthea, Bulk Data, MIMIC-IV FHIR) commonly hold, ingested or not: the
/// names bulk-export files are called after and the names a bundle repeats in every entry.
/// </summary>
public static class FhirResourceTypeNames
{
    /// <summary>The names, in ordinal order.</summary>
    public static IReadOnlyList<string> Common { get; } =
    [
        "AllergyIntolerance", "Bundle", "CarePlan", "CareTeam", "Claim", "Condition", "Device", "DiagnosticReport",
        "DocumentReference", "Encounter", "ExplanationOfBenefit", "Goal", "ImagingStudy", "Immunization", "Location",
        "Medication", "MedicationAdministration", "MedicationDispense", "MedicationRequest", "MedicationStatement",
        "Observation", "Organization", "Patient", "Practitioner", "PractitionerRole", "Procedure", "Provenance",
        "Specimen", "SupplyDelivery",
    ];

    /// <summary>
    /// Every resource type of R4 (4.0.1, http://hl7.org/fhir/R4/resourcelist.html), in ordinal order. What the input names
    /// as its <c>resourceType</c> is printed or counted by name only when it is one of these: any other string is the
    /// input's text, which may be patient data (review phi.md #6).
    /// </summary>
    public static IReadOnlyList<string> R4 { get; } =
    [
        "Account", "ActivityDefinition", "AdverseEvent", "AllergyIntolerance", "Appointment", "AppointmentResponse",
        "AuditEvent", "Basic", "Binary", "BiologicallyDerivedProduct", "BodyStructure", "Bundle", "CapabilityStatement",
        "CarePlan", "CareTeam", "CatalogEntry", "ChargeItem", "ChargeItemDefinition", "Claim", "ClaimResponse",
        "ClinicalImpression", "CodeSystem", "Communication", "CommunicationRequest", "CompartmentDefinition",
        "Composition", "ConceptMap", "Condition", "Consent", "Contract", "Coverage", "CoverageEligibilityRequest",
        "CoverageEligibilityResponse", "DetectedIssue", "Device", "DeviceDefinition", "DeviceMetric", "DeviceRequest",
        "DeviceUseStatement", "DiagnosticReport", "DocumentManifest", "DocumentReference", "EffectEvidenceSynthesis",
        "Encounter", "Endpoint", "EnrollmentRequest", "EnrollmentResponse", "EpisodeOfCare", "EventDefinition",
        "Evidence", "EvidenceVariable", "ExampleScenario", "ExplanationOfBenefit", "FamilyMemberHistory", "Flag",
        "Goal", "GraphDefinition", "Group", "GuidanceResponse", "HealthcareService", "ImagingStudy", "Immunization",
        "ImmunizationEvaluation", "ImmunizationRecommendation", "ImplementationGuide", "InsurancePlan", "Invoice",
        "Library", "Linkage", "List", "Location", "Measure", "MeasureReport", "Media", "Medication",
        "MedicationAdministration", "MedicationDispense", "MedicationKnowledge", "MedicationRequest",
        "MedicationStatement", "MedicinalProduct", "MedicinalProductAuthorization", "MedicinalProductContraindication",
        "MedicinalProductIndication", "MedicinalProductIngredient", "MedicinalProductInteraction",
        "MedicinalProductManufactured", "MedicinalProductPackaged", "MedicinalProductPharmaceutical",
        "MedicinalProductUndesirableEffect", "MessageDefinition", "MessageHeader", "MolecularSequence", "NamingSystem",
        "NutritionOrder", "Observation", "ObservationDefinition", "OperationDefinition", "OperationOutcome",
        "Organization", "OrganizationAffiliation", "Parameters", "Patient", "PaymentNotice", "PaymentReconciliation",
        "Person", "PlanDefinition", "Practitioner", "PractitionerRole", "Procedure", "Provenance", "Questionnaire",
        "QuestionnaireResponse", "RelatedPerson", "RequestGroup", "ResearchDefinition", "ResearchElementDefinition",
        "ResearchStudy", "ResearchSubject", "RiskAssessment", "RiskEvidenceSynthesis", "Schedule", "SearchParameter",
        "ServiceRequest", "Slot", "Specimen", "SpecimenDefinition", "StructureDefinition", "StructureMap",
        "Subscription", "Substance", "SubstanceNucleicAcid", "SubstancePolymer", "SubstanceProtein",
        "SubstanceReferenceInformation", "SubstanceSourceMaterial", "SubstanceSpecification", "SupplyDelivery",
        "SupplyRequest", "Task", "TerminologyCapabilities", "TestReport", "TestScript", "ValueSet",
        "VerificationResult", "VisionPrescription",
    ];

    private static readonly HashSet<string> R4Set = new(R4, StringComparer.Ordinal);

    /// <summary>True when <paramref name="resourceType"/> is an R4 resource type (ordinal: FHIR names are case-sensitive).</summary>
    public static bool IsR4(string? resourceType) => resourceType is not null && R4Set.Contains(resourceType);
}
