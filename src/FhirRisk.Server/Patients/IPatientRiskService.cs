using FhirRisk.Inference.Prediction;

namespace FhirRisk.Server.Patients;

/// <summary>
/// The one way the service surfaces (gRPC, CDS Hooks) ask for a patient's risks: the patient's stored timeline (from
/// FHIR push) combined with any FHIR resources that came with the request (a gRPC bundle, CDS Hooks prefetch), mapped
/// to MEDS events, encoded by the model's tokenizer and answered by the configured <see cref="IRiskPredictor"/>.
/// Surfaces depend on this interface, never on the store or the predictor directly.
/// </summary>
public interface IPatientRiskService
{
    /// <summary>One risk per requested task, in the request's order.</summary>
    /// <exception cref="PatientDataUnavailableException">Neither the store nor the request holds the patient.</exception>
    /// <exception cref="PatientInputException">A malformed resource or an unknown task (the message names which, never patient data).</exception>
    Task<PatientRiskResult> PredictAsync(PatientRiskRequest request, CancellationToken cancellationToken = default);
}

/// <summary>What to predict for one patient.</summary>
/// <param name="PatientId">The FHIR Patient id: the key of the stored timeline; null to use only <paramref name="FhirResources"/>.</param>
/// <param name="FhirResources">FHIR R4 JSON supplied with the request: Bundles or single resources (UTF-8). Combined with
/// the stored history; a resource already stored (same type and id) replaces the stored version for this call only.</param>
/// <param name="Tasks">Task names (TaskCatalog), in the order answers are wanted; empty = every task the predictor answers.</param>
/// <param name="PredictionTime">The prediction point; null = the patient's last event.</param>
/// <param name="Method">Rollouts or heads; null = the service's configured default.</param>
public sealed record PatientRiskRequest(
    string? PatientId,
    IReadOnlyList<ReadOnlyMemory<byte>> FhirResources,
    IReadOnlyList<string> Tasks,
    DateTimeOffset? PredictionTime = null,
    RiskMethod? Method = null)
{
    /// <summary>The caller's rollout count, seed and interval level; default: the service's.</summary>
    public RolloutChoices Rollouts { get; init; } = RolloutChoices.Default;

    /// <summary>Whether the stored history of <see cref="PatientId"/> is read (default true); false for a CDS client not
    /// trusted with the store (<c>UseStoredHistory</c>), whose call then uses only what it supplied.</summary>
    public bool UseStoredHistory { get; init; } = true;

    /// <summary><see cref="FhirResources"/> as the calling surface already read them (<see cref="SuppliedFhirDocument.Read(ReadOnlyMemory{byte})"/>),
    /// one per document, in order, each over the same bytes: the prediction maps these readings rather than reading the
    /// bytes a second time (CDS Hooks reads its prefetch and the FHIR server's pages to check them). Null (the default):
    /// the prediction reads <see cref="FhirResources"/> itself.</summary>
    internal IReadOnlyList<SuppliedFhirDocument>? ReadResources { get; init; }

    /// <summary>The FHIR id of the encounter being discharged (CDS Hooks <c>encounter-discharge</c>): while the record
    /// shows it open, its discharge is taken to happen at <see cref="PredictionTime"/> (null: at the last event), so a
    /// task predicted at a discharge is asked at this one (<see cref="DischargeNow"/>). Null: the record as it is.</summary>
    public string? DischargingEncounterId { get; init; }

    /// <summary>The FHIR id of the encounter the call is about (CDS Hooks <c>encounter-start</c> and
    /// <c>encounter-discharge</c>): only the asked tasks that are questions about an encounter of its kind are answered —
    /// a stay's tasks for a stay, the ED tasks for an emergency visit, none for another visit — and with none left the
    /// answer has no risks and no model runs (<see cref="PatientRiskResult.ContextEncounter"/>). Null: no encounter is
    /// named.</summary>
    public string? ContextEncounterId { get; init; }
}

/// <summary>What the record shows of the encounter a call names (<see cref="PatientRiskRequest.ContextEncounterId"/>).</summary>
public enum ContextEncounterKind
{
    /// <summary>A hospital or ICU stay: the encounter's events hold its admission.</summary>
    Stay,

    /// <summary>An emergency visit that was not the admission: its events hold an ED registration.</summary>
    Emergency,

    /// <summary>A visit of another class (outpatient, virtual, home): its events hold a <c>VISIT//</c> code.</summary>
    Visit,

    /// <summary>In the record, but no event of it tells its kind (a ward leg <c>partOf</c> a stay, a period without a start).</summary>
    Unknown,

    /// <summary>No event of the record is the encounter's: not in the data read, or dropped by a status rule with nothing naming it.</summary>
    NotInRecord,
}

/// <summary>What a caller may choose about rollouts (gRPC <c>PredictOptions</c>); heads ignore it.</summary>
/// <param name="Count">Exactly this many rollouts per task; null: the service's adaptive count (<c>Model:MinRollouts</c>…<c>MaxRollouts</c>, decided by a pilot of <c>Model:PilotRollouts</c>).</param>
/// <param name="Seed">The generation seed; null: the model's default.</param>
/// <param name="IntervalLevel">Coverage of the Wilson interval, in (0, 1).</param>
/// <param name="WaitForPlace">Wait as long as it takes for a rollout place rather than being shed after
/// <c>Model:RolloutQueueTimeout</c> (docs/operations.md "Load shedding"): batch work (gRPC <c>PredictStream</c>), whose
/// caller wants the method it asked for more than a fast answer.</param>
public sealed record RolloutChoices(int? Count = null, ulong? Seed = null, double IntervalLevel = 0.95, bool WaitForPlace = false)
{
    public static RolloutChoices Default { get; } = new();
}

/// <summary>The answer for one patient.</summary>
/// <param name="Risks">One per requested task; with a named encounter, one per task that applies to it (<see cref="ContextEncounter"/>).</param>
/// <param name="ModelVersion">The loaded model's name and version, for card sources and gRPC responses.</param>
/// <param name="EventCount">How many MEDS events the prediction read (stored + supplied), for card detail.</param>
/// <param name="Warnings">Non-fatal problems with the supplied resources (codes and resource types only, no values).</param>
public sealed record PatientRiskResult(IReadOnlyList<TaskRisk> Risks, string ModelVersion, int EventCount, IReadOnlyList<string> Warnings)
{
    /// <summary>The request left the method to the service, whose default is rollouts, but the rollout engine was at
    /// capacity, so the task heads answered (docs/operations.md "Load shedding").</summary>
    public bool AnsweredByHeadsWhenBusy { get; init; }

    /// <summary>Data of the patient the prediction could not read: a risk from a partial record (CDS Hooks cards say so).</summary>
    public DataGaps Gaps { get; init; } = DataGaps.None;

    /// <summary>How many of the patient's stored resources (pushed to the service before) were read; 0 when the stored
    /// history was not asked for or holds nothing of the patient.</summary>
    public int StoredResources { get; init; }

    /// <summary>The time of the prediction point, UTC: the last event at or before the requested cut-off (or the last
    /// event); null where not known.</summary>
    public DateTimeOffset? PredictionPoint { get; init; }

    /// <summary>The model was built by <c>fhirrisk demo-model</c> from simulated patients only: cards and gRPC answers say
    /// it is not for clinical decisions (security review s12 #12).</summary>
    public bool TrainedOnSimulatedPatients { get; init; }

    /// <summary>The service's clock when the prediction was made; null where not known. With <see cref="PredictionPoint"/>
    /// it says how old the estimate is (a card of a record last written years ago says so).</summary>
    public DateTimeOffset? AnsweredAt { get; init; }

    /// <summary>The prediction point, the record's last event, lies more than a day after the service's clock: the
    /// record holds future-dated events (cards and gRPC answers say so; security review s12 #15).</summary>
    public bool PredictionPointInFuture { get; init; }

    /// <summary>What the record shows of the encounter the call named (<see cref="PatientRiskRequest.ContextEncounterId"/>);
    /// null when none was named. <see cref="Risks"/> then holds only the tasks that apply to it, none for a clinic visit.</summary>
    public ContextEncounterKind? ContextEncounter { get; init; }

    /// <summary>The prolonged-stay threshold (days) the model answered <c>prolonged_los</c> and <c>composite</c> under: the
    /// one its heads were trained on (docs/formats/heads.md); null where not known.</summary>
    public double? ProlongedStayDays { get; init; }
}

/// <summary>What a prediction left out of the patient's record, as counts (never ids or values).</summary>
/// <param name="Rejected">Supplied resources the reader refused: unparseable, an invalid id, an entry without a resource.</param>
/// <param name="OtherPatient">Supplied resources that belong to another patient than the one predicted.</param>
/// <param name="ReadInPart">Supplied resources kept without some of their elements: of the wrong JSON type, an invalid
/// date or number (reader warnings FHIR006–FHIR010; a date-time without a zone, FHIR018, is read in the site time zone and not counted).</param>
/// <param name="StoredHistoryUnavailable">The timeline store could not be read: only the supplied resources were.</param>
public sealed record DataGaps(int Rejected, int OtherPatient, int ReadInPart, bool StoredHistoryUnavailable)
{
    public static DataGaps None { get; } = new(0, 0, 0, false);

    /// <summary>The stored history was over <c>TimelineStore:MaxPatientReadBytes</c>: only its newest rows were read.</summary>
    public bool StoredHistoryCut { get; init; }

    public bool Any => Rejected > 0 || OtherPatient > 0 || ReadInPart > 0 || StoredHistoryUnavailable || StoredHistoryCut;
}

/// <summary>The patient's data cannot be had: not stored and not supplied (CDS Hooks answers 412, gRPC NOT_FOUND).</summary>
public sealed class PatientDataUnavailableException(string message) : Exception(message)
{
    /// <summary>Supplied resources left out because they belong to another patient than the one asked about: when they
    /// are all there was, the likeliest cause is a prefetch of the wrong patient, which the answer should name.</summary>
    public int OtherPatientResources { get; init; }
}
