using FhirRisk.Meds.Tasks;
using FhirRisk.Synthetic.Codes;

namespace FhirRisk.Synthetic.Model;

/// <summary>
/// The acute-care process of one patient (docs/simulator.md §2–§5): background episodes and deaths as competing Poisson
/// processes, each episode an ED visit that may end in an admission, each admission's course drawn from its
/// <see cref="StayRisk"/>, then the 30-day (or 72-hour) follow-up drawn from its own probability. Every probability
/// that decides a task outcome is written to the truth beside the outcome drawn from it.
/// </summary>
/// <remarks>
/// The background processes pause during a follow-up window (30 days after a live discharge, 72 hours after an ED
/// visit sent home) unless the drawn follow-up event falls inside it. That is what makes the follow-up probabilities
/// exact: nothing else can happen in the window. Follow-up events are drawn even past the window end.
/// </remarks>
internal sealed class AcuteCareSimulator(LatentModel model, PatientTimeline timeline, SimulationRandom outcomes, StayCharting charting)
{
    private static readonly TimeSpan ReadmissionWindow = TimeSpan.FromDays(30);
    private static readonly TimeSpan ReattendanceWindow = TimeSpan.FromHours(72);

    private static readonly Func<StayRisk, double>[] AdmissionTasks =
        [r => r.HospitalMortality, r => r.IcuAdmission, r => r.ProlongedStay, r => r.Composite];

    private readonly FrailtyHistory _history = new();
    private DateTime _windowStart;

    private PatientProfile Patient => timeline.Profile;

    /// <summary>Runs episodes from <paramref name="start"/> until death or the first background event after <paramref name="end"/>.</summary>
    public void Run(DateTime start, DateTime end)
    {
        var time = start;
        _windowStart = start;
        while (true)
        {
            var baseline = model.BaselineRisk(Patient, time);
            var episodeRate = model.EpisodeRatePerDay(baseline);
            var deathRate = model.BackgroundDeathRatePerDay(baseline);
            var next = Minute(time.AddDays(outcomes.Exponential(episodeRate + deathRate)));
            if (next >= end)
                return;
            if (outcomes.Bernoulli(deathRate / (episodeRate + deathRate)))
            {
                timeline.DeathTime = next;
                return;
            }
            _history.Gap(model, baseline - Patient.Frailty, (next - time).TotalDays, endedByEpisode: true);
            if (EmergencyVisits(next) is not { } resume)
                return;
            time = resume;
        }
    }

    /// <summary>An ED visit, and the bounce-back visits it leads to; returns when the background resumes (null: died).</summary>
    private DateTime? EmergencyVisits(DateTime registration)
    {
        while (true)
        {
            var baseline = model.BaselineRisk(Patient, registration);
            var diagnosis = model.DrawDiagnosis(Patient, outcomes);
            var severity = LatentModel.DrawSeverity(diagnosis, outcomes);
            var risk = model.Stay(severity, baseline);
            var admitProbability = model.AdmissionProbability(severity, baseline);
            var admitted = outcomes.Bernoulli(admitProbability);
            var edOut = registration.AddMinutes(Math.Floor(outcomes.Uniform(120, 480)));
            var visit = charting.EmergencyVisit(registration, edOut, admitted, diagnosis, severity);
            // At registration nothing is charted yet: the observable truth averages over the diagnosis's prior.
            var atRegistration = SeverityPosterior.Of(diagnosis.SeverityOffset, timeline.Evidence.Until(visit, registration));
            Truth(TaskCatalog.EdHospitalization, visit, registration, registration, admitProbability, admitted, severity, baseline,
                atRegistration.Expect(s => model.AdmissionProbability(s, baseline)));
            var criticalObservable = atRegistration.Expect(s => model.AdmissionProbability(s, baseline) * model.Stay(s, baseline).EarlyIcu);
            if (admitted)
            {
                var evidence = new EpisodeEvidence(visit, s => model.AdmissionProbability(s, baseline));
                var (resume, earlyIcu) = Admissions(edOut, diagnosis, severity, baseline, risk, Dispositions.FromEmergency, evidence);
                Truth(TaskCatalog.EdCriticalOutcome, visit, registration, registration, admitProbability * risk.EarlyIcu, earlyIcu, severity, baseline,
                    criticalObservable);
                return resume;
            }
            Truth(TaskCatalog.EdCriticalOutcome, visit, registration, registration, admitProbability * risk.EarlyIcu, false, severity, baseline,
                criticalObservable);
            var bounceProbability = model.BounceBackProbability(severity, baseline);
            var bounces = outcomes.Bernoulli(bounceProbability);
            var atEdOut = SeverityPosterior.Of(diagnosis.SeverityOffset, timeline.Evidence.Until(visit, edOut), s => 1 - model.AdmissionProbability(s, baseline));
            Truth(TaskCatalog.EdReattendance72h, visit, registration, edOut, bounceProbability, bounces, severity, baseline,
                atEdOut.Expect(s => model.BounceBackProbability(s, baseline)));
            if (!bounces)
                return edOut + ReattendanceWindow;
            // At least 12 h later, so a return visit can never make this visit's 12-hour critical outcome.
            registration = edOut.AddMinutes(Math.Floor(outcomes.Uniform(12 * 60, 70 * 60)));
        }
    }

    /// <summary>
    /// An admission and the readmissions it leads to. Returns when the background resumes (null: died) and whether the
    /// first admission went to the ICU directly (the ED critical outcome).
    /// </summary>
    private (DateTime? Resume, bool EarlyIcu) Admissions(DateTime admission, AcuteDiagnosis diagnosis, double severity, double baseline,
        StayRisk risk, Coded admitSource, EpisodeEvidence evidence)
    {
        bool? earlyIcu = null;
        while (true)
        {
            var stay = StayOutcome.Sample(risk, outcomes);
            earlyIcu ??= stay.DirectIcu;
            var stayId = charting.HospitalStay(admission, stay, diagnosis, severity, admitSource);
            var discharge = admission.AddMinutes(stay.StayMinutes);
            // A direct admission's evidence is its own admission panel; no ED decision tilts it.
            var readings = timeline.Evidence.Until(evidence.EncounterId ?? stayId, admission);
            var posterior = SeverityPosterior.Of(diagnosis.SeverityOffset, readings, evidence.Tilt);
            var fromEmergency = evidence.Tilt is not null;
            var record = RecordReference.Expect(model, Patient, _windowStart, _history, baseline - Patient.Frailty,
                Hypotheses(diagnosis, evidence.EncounterId ?? stayId, admission, fromEmergency), fromEmergency, AdmissionTasks);
            StayTruth(stayId, admission, stay, risk, severity, baseline, posterior, record);
            if (stay.Died)
            {
                timeline.DeathTime = discharge;
                return (null, earlyIcu.Value);
            }

            var readmitProbability = model.ReadmissionProbability(severity, baseline, stay.Icu, stay.StayDays);
            var readmitted = outcomes.Bernoulli(readmitProbability);
            Truth(TaskCatalog.Readmission30d, stayId, admission, discharge, readmitProbability, readmitted, severity, baseline, null);
            if (!readmitted)
                return (discharge + ReadmissionWindow, earlyIcu.Value);
            var eventTime = discharge.AddMinutes(Math.Floor(outcomes.Uniform(1, 29.5) * 1440));
            if (outcomes.Bernoulli(model.ReadmissionAsDeathProbability(severity, baseline)))
            {
                timeline.DeathTime = eventTime;
                return (null, earlyIcu.Value);
            }

            // A readmission is a direct admission (no ED visit), so that ED tasks keep their own probabilities.
            admission = eventTime;
            baseline = model.BaselineRisk(Patient, admission);
            diagnosis = model.DrawDiagnosis(Patient, outcomes);
            severity = LatentModel.DrawSeverity(diagnosis, outcomes);
            risk = model.Stay(severity, baseline);
            admitSource = Dispositions.FromOutpatient;
            evidence = EpisodeEvidence.DirectAdmission;
        }
    }

    /// <summary>
    /// The diagnoses the record at an admission leaves possible, for the record reference: after an ED visit, those
    /// whose ED work-up is the one charted (the diagnosis itself is charted only at discharge); a direct admission has no
    /// work-up, so any. Each with its prior weight for the patient and the readings' likelihood had it been the diagnosis.
    /// </summary>
    private DiagnosisHypothesis[] Hypotheses(AcuteDiagnosis diagnosis, string encounterId, DateTime admission, bool fromEmergency)
    {
        var charted = diagnosis.Workup.ToHashSet();
        return [.. AcuteDiagnoses.All
            .Where(d => !fromEmergency || charted.SetEquals(d.Workup))
            .Select(d => new DiagnosisHypothesis(LatentModel.DiagnosisWeight(Patient, d), d.SeverityOffset,
                timeline.Evidence.Until(encounterId, admission, d.SignatureLoinc)))];
    }

    /// <param name="record">The record reference of the four admission tasks, in <see cref="AdmissionTasks"/> order.</param>
    private void StayTruth(string stayId, DateTime admission, StayOutcome stay, StayRisk risk, double severity, double baseline,
        SeverityPosterior posterior, double[] record)
    {
        var prolonged = stay.Prolonged(model.Parameters.ProlongedStayDays);
        var risks = posterior.Severities.Select(s => model.Stay(s, baseline)).ToArray();
        double Observable(Func<StayRisk, double> task) => risks.Select((r, k) => posterior.Weights[k] * task(r)).Sum();
        Truth(TaskCatalog.HospitalMortality, stayId, admission, admission, risk.HospitalMortality, stay.Died, severity, baseline,
            Observable(r => r.HospitalMortality), record[0]);
        Truth(TaskCatalog.IcuAdmission, stayId, admission, admission, risk.IcuAdmission, stay.Icu, severity, baseline, Observable(r => r.IcuAdmission),
            record[1]);
        Truth(TaskCatalog.ProlongedLos, stayId, admission, admission, risk.ProlongedStay, prolonged, severity, baseline, Observable(r => r.ProlongedStay),
            record[2]);
        Truth(TaskCatalog.Composite, stayId, admission, admission, risk.Composite, stay.Died || stay.Icu || prolonged, severity, baseline,
            Observable(r => r.Composite), record[3]);
        if (stay.Icu)
        {
            // At ICU admission the course so far (which depends on the outcome) is charted too: not computed.
            Truth(TaskCatalog.IcuMortality, stayId, admission, admission.AddMinutes(stay.IcuStartMinutes), risk.IcuMortality,
                stay.DiedInIcu, severity, baseline, null);
        }
    }

    private void Truth(string task, string encounterId, DateTime admission, DateTime prediction, double probability, bool outcome,
        double severity, double baseline, double? observable, double? record = null) =>
        timeline.Truth.Add(new TruthRow(task, encounterId, admission, prediction, probability, outcome, severity, baseline, observable, record));

    /// <summary>Where an admission's severity evidence is charted (null: the stay itself, at its admission) and the ED's
    /// decision to admit as a tilt on the severity (null: a direct admission).</summary>
    private sealed record EpisodeEvidence(string? EncounterId, Func<double, double>? Tilt)
    {
        public static readonly EpisodeEvidence DirectAdmission = new(null, null);
    }

    private static DateTime Minute(DateTime time) => new(time.Ticks - time.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
}
