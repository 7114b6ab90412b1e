namespace FhirRisk.Server.CdsHooks;

/// <summary>One CDS Service: a hook, the tasks it answers and what it asks the client to prefetch.</summary>
internal sealed record CdsServiceDefinition(string Id, string Hook, string Title, string Description, IReadOnlyDictionary<string, string> Prefetch)
{
    /// <summary>Context fields the hook requires (CDS Hooks Library 1.0.1); a call without them is a 400.</summary>
    public IReadOnlyList<string> RequiredContext => Hook == CdsHookNames.PatientView ? ["patientId"] : ["patientId", "encounterId"];
}

/// <summary>
/// The three FhirRisk services (DESIGN §7). Each asks for the patient's whole record in the patient-compartment resource
/// types our FHIR reader ingests, with templates limited to the spec's recommended query subset (instance read; type
/// search by patient reference) so any client can satisfy them. DiagnosticReport is left out: its results are
/// Observations, asked for already, and its attached documents (PDFs, images) would be carried in the hook call's body.
/// Medication and Location, which a record's resources reference by id, cannot be asked for by such a template; they come
/// from the service's store.
/// </summary>
internal static class CdsServiceCatalog
{
    public const string PatientRiskId = "fhirrisk-patient-risk";
    public const string AdmissionRiskId = "fhirrisk-admission-risk";
    public const string ReadmissionRiskId = "fhirrisk-readmission-risk";

    public static readonly IReadOnlyDictionary<string, string> PrefetchTemplates = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["patient"] = "Patient/{{context.patientId}}",
        ["encounters"] = "Encounter?patient={{context.patientId}}",
        ["conditions"] = "Condition?patient={{context.patientId}}",
        ["observations"] = "Observation?patient={{context.patientId}}",
        ["medicationRequests"] = "MedicationRequest?patient={{context.patientId}}",
        ["procedures"] = "Procedure?patient={{context.patientId}}",
        ["medicationAdministrations"] = "MedicationAdministration?patient={{context.patientId}}",
        ["medicationDispenses"] = "MedicationDispense?patient={{context.patientId}}",
        ["medicationStatements"] = "MedicationStatement?patient={{context.patientId}}",
        ["immunizations"] = "Immunization?patient={{context.patientId}}",
        ["allergies"] = "AllergyIntolerance?patient={{context.patientId}}",
    };

    /// <summary>
    /// The keys of the types many EHRs do not offer, or grant no scope for: drugs given, dispensed and taken,
    /// immunizations and allergies. When the client leaves one out and names no <c>fhirServer</c>, or the server
    /// answers its search 400, 403, 405 or 501 (a 404 is "no data" for every key), the record is read without that kind of
    /// data and the answer is not called incomplete, which it would otherwise be on every call to such an EHR. Any other
    /// failure of these keys (a timeout, a 5xx, a refused token, a cut search) is reported as for the others.
    /// </summary>
    public static readonly IReadOnlySet<string> SupplementaryKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "medicationAdministrations", "medicationDispenses", "medicationStatements", "immunizations", "allergies",
    };

    public static readonly IReadOnlyList<CdsServiceDefinition> Services =
    [
        new(PatientRiskId, CdsHookNames.PatientView, "FhirRisk patient risk summary",
            "Estimates the patient's risks (by default in-hospital mortality, ICU admission and 30-day readmission) from the whole record with an EHR foundation model.",
            PrefetchTemplates),
        new(AdmissionRiskId, CdsHookNames.EncounterStart, "FhirRisk admission risks",
            "At the start of an encounter, estimates in-hospital mortality, ICU admission and prolonged stay with an EHR foundation model.",
            PrefetchTemplates),
        new(ReadmissionRiskId, CdsHookNames.EncounterDischarge, "FhirRisk readmission risk",
            "At discharge, estimates the risk of readmission (or death) within 30 days with an EHR foundation model.",
            PrefetchTemplates),
    ];

    public static CdsServiceDefinition? Find(string id) => Services.FirstOrDefault(s => s.Id == id);
}
