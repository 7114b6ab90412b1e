using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// The statuses (and intents) that say a resource did not happen or has no result, one table for the MEDS mapping and
/// the OMOP export (docs/formats/fhir-ingestion.md, docs/formats/omop.md "Status rules"), compared without case: what
/// one leaves out, the other must not export.
/// </summary>
internal static class StatusRules
{
    public static IReadOnlyList<string> Encounter { get; } = ["entered-in-error", "cancelled", "planned"];

    /// <summary><c>registered</c>: the observation exists but has no result yet.</summary>
    public static IReadOnlyList<string> Observation { get; } = ["entered-in-error", "cancelled", "registered"];

    /// <summary><c>preparation</c>: the procedure has not started (a scheduled operation, a suite being readied); a
    /// record's last event must not be one still to come, nor a model learn from a procedure that may never happen.</summary>
    public static IReadOnlyList<string> Procedure { get; } = ["not-done", "entered-in-error", "preparation"];

    /// <summary>A report dropped with these statuses drops the results it contains too; <c>registered</c>: nothing of the
    /// report is available yet.</summary>
    public static IReadOnlyList<string> DiagnosticReport { get; } = ["entered-in-error", "cancelled", "registered"];

    /// <summary>MedicationRequest intents that are not an order that was given (intent is a modifier in R4).</summary>
    public static IReadOnlyList<string> NonOrderIntents { get; } = ["proposal", "plan", "option"];

    private static readonly string[] s_request = ["cancelled", "entered-in-error", "draft"];
    private static readonly string[] s_administration = ["not-done", "entered-in-error"];
    private static readonly string[] s_dispense = ["cancelled", "declined", "entered-in-error", "preparation"];
    private static readonly string[] s_statement = ["not-taken", "entered-in-error", "intended"];

    /// <summary>What happened to a medication, as the mappers name it, and the statuses that say it did not.</summary>
    public static (string Kind, IReadOnlyList<string> Dropped) Medication(FhirMedicationEvent medication) => medication switch
    {
        FhirMedicationRequest => ("requested", s_request),
        FhirMedicationAdministration => ("administered", s_administration),
        FhirMedicationDispense => ("dispensed", s_dispense),
        _ => ("statement", s_statement),
    };

    /// <summary>Whether <paramref name="value"/> is one of <paramref name="dropped"/>, ignoring case and surrounding blanks.</summary>
    public static bool Drops(IReadOnlyList<string> dropped, string? value) =>
        value is not null && dropped.Contains(value.Trim(), StringComparer.OrdinalIgnoreCase);
}
