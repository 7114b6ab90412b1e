using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;

namespace FhirRisk.Server.Patients;

/// <summary>
/// <see cref="IPatientRiskService"/> over the timeline store and the loaded model: stored + supplied resources →
/// events (<see cref="PatientTimelineBuilder"/>) → tokens → predictor (<see cref="TimelinePredictor"/>).
/// </summary>
internal sealed class PatientRiskService(PatientTimelineBuilder timelines, TimelinePredictor predictor, RiskModel model) : IPatientRiskService
{
    public async Task<PatientRiskResult> PredictAsync(PatientRiskRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!model.IsLoaded)
            throw new RiskModelUnavailableException();
        var patient = await timelines.BuildAsync(request, cancellationToken).ConfigureAwait(false);
        var encounter = request.ContextEncounterId is { } id
            ? ContextEncounter(patient.Events, PatientTimelineBuilder.EncounterIdOf(id), patient.EncounterClasses)
            : (ContextEncounterKind?)null;
        var tasks = encounter is { } kind ? ApplicableTasks(request.Tasks, kind) : request.Tasks;
        // Tasks asked for, none of which is a question about the named encounter (an empty list asks for every task:
        // review s21-fixes H1, where it answered nothing).
        if (encounter is not null && request.Tasks.Count > 0 && tasks.Count == 0)
        {
            // No asked task is a question about this encounter (a clinic visit's check-in): no risks, and no model run.
            return new PatientRiskResult([], model.Version, patient.Events.Count, [])
            {
                ContextEncounter = encounter,
                Gaps = patient.Gaps,
                StoredResources = patient.StoredResources,
            };
        }
        var result = await predictor.PredictAsync(patient.Events, tasks, request.PredictionTime, request.Method, request.Rollouts,
                patient.Warnings, cancellationToken)
            .ConfigureAwait(false);
        return result with { Gaps = patient.Gaps, StoredResources = patient.StoredResources, ContextEncounter = encounter };
    }

    /// <summary>
    /// What the record shows <paramref name="encounterId"/> to be, by the events the mapping wrote for it: an admission
    /// (hospital or ICU) makes it a stay, an ED registration an emergency visit, a <c>VISIT//</c> code a visit of another
    /// class. Where no such event is there — a ward leg <c>partOf</c> a stay, one whose period lacks its start, one a
    /// status rule left out but whose results name it (review s21-changes M1) — the Encounter's class decides where it is
    /// plain (<see cref="KindOfClass"/>: a clinic visit still <c>planned</c> is a visit, review s21-fixes M3), also when it
    /// wrote no event, else it is <see cref="ContextEncounterKind.Unknown"/>; an encounter the read did not hold is not
    /// in the record.
    /// </summary>
    internal static ContextEncounterKind ContextEncounter(IReadOnlyList<MedsEvent> events, long encounterId,
        IReadOnlyDictionary<long, string>? classes = null)
    {
        var (found, emergency, visit) = (false, false, false);
        foreach (var e in events)
        {
            if (e.EncounterId != encounterId || e.IsStatic)
                continue;
            if (CodeSet.Matches(e.Code, TaskCodes.HospitalAdmission) || CodeSet.Matches(e.Code, TaskCodes.IcuAdmission))
                return ContextEncounterKind.Stay;
            found = true;
            emergency |= CodeSet.Matches(e.Code, TaskCodes.EdRegistration);
            visit |= CodeSet.Matches(e.Code, StayKind.VisitCode);
        }
        // The Encounter's class decides where its events do not say, also where it wrote none (a visit still `planned`,
        // with nothing naming it: review s21-final M1); one the read did not hold at all is not in the record.
        return emergency ? ContextEncounterKind.Emergency
            : visit ? ContextEncounterKind.Visit
            : classes is not null && classes.TryGetValue(encounterId, out var code) ? KindOfClass(code)
            : found ? ContextEncounterKind.Unknown
            : ContextEncounterKind.NotInRecord;
    }

    /// <summary>The kind an Encounter's v3 ActCode class plainly names: inpatient classes a stay, EMER an emergency visit,
    /// the ambulatory, virtual, home, field and short-stay classes a visit; any other (a site's own) is unknown.</summary>
    internal static ContextEncounterKind KindOfClass(string code) => code.ToUpperInvariant() switch
    {
        "IMP" or "ACUTE" or "NONAC" => ContextEncounterKind.Stay,
        "EMER" => ContextEncounterKind.Emergency,
        "AMB" or "VR" or "HH" or "FLD" or "SS" or "OBSENC" or "PRENC" => ContextEncounterKind.Visit,
        _ => ContextEncounterKind.Unknown,
    };

    /// <summary>
    /// The asked tasks that are questions about an encounter of <paramref name="kind"/>: a stay's tasks (predicted at a
    /// hospital or ICU admission or discharge) for a stay, the ED tasks for an emergency visit, none for another visit;
    /// every task where the kind is not shown. A task the catalog does not define (a head of the model's own) is kept at
    /// a stay or an emergency visit (review s21-changes H1: an ED task configured on a hook was never answered at an
    /// emergency visit).
    /// </summary>
    private IReadOnlyList<string> ApplicableTasks(IReadOnlyList<string> asked, ContextEncounterKind kind)
    {
        if (kind is ContextEncounterKind.Unknown or ContextEncounterKind.NotInRecord || asked.Count == 0)
            return asked;
        if (kind == ContextEncounterKind.Visit)
            return []; // not even a head of the model's own: a clinic visit gets no card (review s21-fixes L1)
        return [.. asked.Where(name => model.Session.Tasks.FirstOrDefault(t => t.Name == name)?.Point.Stay is not { } stay || kind switch
        {
            ContextEncounterKind.Stay => stay == StayKind.Hospital || stay == StayKind.Icu,
            ContextEncounterKind.Emergency => stay == StayKind.Emergency,
            _ => false,
        })];
    }
}
