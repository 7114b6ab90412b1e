using FhirRisk.Synthetic.Codes;

namespace FhirRisk.Synthetic.Model;

/// <summary>The kind of an encounter, which decides its FHIR class and type.</summary>
internal enum EncounterKind
{
    Ambulatory,
    Emergency,
    Inpatient,
    Icu,
}

/// <summary>An encounter of the timeline. ICU stays are sub-encounters (<paramref name="PartOfId"/>) of the inpatient stay.</summary>
internal sealed record EncounterRecord(
    string Id,
    EncounterKind Kind,
    DateTime Start,
    DateTime End,
    string? PartOfId = null,
    Coded? AdmitSource = null,
    Coded? Disposition = null,
    IcuUnit? Unit = null);

/// <summary>A diagnosis: a problem-list item (chronic, recorded at <paramref name="Recorded"/>) or an encounter diagnosis
/// (recorded at the discharge of <paramref name="EncounterId"/>).</summary>
internal sealed record ConditionRecord(string Id, Coded Code, DateTime Recorded, DateTime? Onset, string? EncounterId);

/// <summary>A lab or vital sign; a blood pressure panel carries its two components.</summary>
internal sealed record ObservationRecord(
    string Id,
    DateTime Time,
    string EncounterId,
    Measurement Measurement,
    double Value,
    Coded? Panel = null,
    Measurement? SecondMeasurement = null,
    double SecondValue = 0);

/// <summary>A drug order (<paramref name="Administered"/> false) or a dose given.</summary>
internal sealed record MedicationRecord(string Id, Coded Drug, DateTime Time, string EncounterId, bool Administered);

/// <summary>A procedure performed during an encounter.</summary>
internal sealed record ProcedureRecord(string Id, Coded Code, DateTime Time, string EncounterId);

/// <summary>Discharge dispositions (R4 code system <c>discharge-disposition</c>) and admit sources (<c>admit-source</c>).</summary>
internal static class Dispositions
{
    public static readonly Coded Home = new(CodeSystemUris.DischargeDisposition, "home", "Home");
    public static readonly Coded SkilledNursing = new(CodeSystemUris.DischargeDisposition, "snf", "Skilled nursing facility");
    public static readonly Coded Rehabilitation = new(CodeSystemUris.DischargeDisposition, "rehab", "Rehabilitation");
    public static readonly Coded Expired = new(CodeSystemUris.DischargeDisposition, "exp", "Expired");

    public static readonly Coded FromEmergency = new(CodeSystemUris.AdmitSource, "emd", "From accident/emergency department");
    public static readonly Coded FromOutpatient = new(CodeSystemUris.AdmitSource, "outp", "From outpatient department");
}

/// <summary>
/// One row of the ground truth (docs/formats/simulator-truth.md): a task's true probability at its prediction point, the
/// outcome the simulation drew from it, the observable probability and the record reference (docs/simulator.md §6;
/// null where not computed).
/// </summary>
internal sealed record TruthRow(
    string Task,
    string EncounterId,
    DateTime AdmissionTime,
    DateTime PredictionTime,
    double Probability,
    bool Outcome,
    double Severity,
    double BaselineRisk,
    double? ObservableProbability,
    double? RecordProbability = null);

/// <summary>Everything generated for one patient: written out, then dropped (the simulator streams patient by patient).</summary>
internal sealed class PatientTimeline(PatientProfile profile)
{
    public PatientProfile Profile { get; } = profile;

    public DateTime? DeathTime { get; set; }

    public List<EncounterRecord> Encounters { get; } = [];

    public List<ConditionRecord> Conditions { get; } = [];

    public List<ObservationRecord> Observations { get; } = [];

    public List<MedicationRecord> Medications { get; } = [];

    public List<ProcedureRecord> Procedures { get; } = [];

    public List<TruthRow> Truth { get; } = [];

    /// <summary>What the charted measurements say about each episode's severity (for the observable truth).</summary>
    public SeverityEvidence Evidence { get; } = new();
}
