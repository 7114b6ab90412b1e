using System.Globalization;
using System.Text;
using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Server.Patients;

namespace FhirRisk.Server.CdsHooks;

/// <summary>A risk and what explains it, ready to become a card.</summary>
internal sealed record RiskCardInput(TaskRisk Risk, IReadOnlyList<CardContributor> Contributors);

/// <summary>
/// Turns predictions into CDS Hooks cards (reference/standards.md §1.5): one card per task with a short summary
/// ("30-day readmission risk: 27% (high)"), an indicator from the task's thresholds, Markdown detail (risk, interval,
/// method, events read, top contributors when known), a source naming the model version, and the configured links.
/// Data the service could not fetch, or had but could not use (<see cref="DataGaps"/>), adds one <c>info</c> card saying
/// which and why, and a note on every risk card.
/// </summary>
internal sealed class RiskCardFactory(CdsHooksOptions options)
{
    private const int MaxContributors = 5;

    private static readonly Dictionary<string, string> TaskLabels = new(StringComparer.Ordinal)
    {
        ["hospital_mortality"] = "In-hospital mortality",
        ["icu_admission"] = "ICU admission",
        ["prolonged_los"] = "Prolonged stay",
        ["composite"] = "Death, ICU or prolonged stay",
        ["readmission_30d"] = "30-day readmission",
        ["icu_mortality"] = "ICU mortality",
        ["ed_hospitalization"] = "Admission from the ED",
        ["ed_critical_outcome"] = "Critical outcome after ED visit",
        ["ed_reattendance_72h"] = "ED return within 72 h",
    };

    /// <param name="newUuid">Each card's <c>uuid</c>: the service's calls pass <see cref="CardUuids.Issue"/> for the
    /// answering service and client; none gives random (version 4) uuids, which no feedback can be checked against.</param>
    public IReadOnlyList<CdsCard> Build(PatientRiskResult result, IReadOnlyList<RiskCardInput> risks, IReadOnlyList<MissingPrefetch> missing,
        Func<string>? newUuid = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        newUuid ??= () => Guid.NewGuid().ToString();
        var source = new CdsSource(CardText.Truncate($"{options.Source.Label} (model {result.ModelVersion})", 200),
            NullIfEmpty(options.Source.Url), NullIfEmpty(options.Source.Icon));
        IReadOnlyList<CdsLink>? links = options.Links.Count == 0 ? null : [.. options.Links.Select(l => new CdsLink(l.Label, l.Url, "absolute"))];
        // A client that sends nothing and names no fhirServer relies on the history pushed to the service: when that
        // history was read, its keys were not "not retrieved" but answered from the store, which the method line says
        // (service review s10 #4: every push-based call was flagged incomplete, with the full call's very risks).
        if (result.StoredResources > 0 && missing.All(m => m.Reason == FetchFailure.NoFhirServer))
            missing = [];
        var note = missing.Count == 0 && !result.Gaps.Any ? null : IncompleteNote(missing, result.Gaps);
        var cards = risks.Select(r => RiskCard(r, result, source, links, note, newUuid())).ToList();
        if (note is not null)
        {
            // A demo model's every card says so first (walkthrough review s21 L1: this one did not).
            var summary = result.TrainedOnSimulatedPatients ? $"[DEMO, simulated data] {IncompleteSummary}" : IncompleteSummary;
            var detail = result.TrainedOnSimulatedPatients ? SimulatedModelNote + "\n\n" + note : note;
            cards.Add(new CdsCard(newUuid(), CardText.Truncate(summary), "info", source, detail + ReaderNotes(result.Warnings)));
        }
        return cards;
    }

    public static string Label(string task) => TaskLabels.TryGetValue(task, out var label) ? label : task;

    /// <summary><see cref="Label(string)"/>, with the prolonged-stay threshold the model answered under for the tasks that
    /// count one ("Prolonged stay (≥ 10 days)"): it is the model's own (docs/formats/heads.md), not always 10 days.</summary>
    public static string Label(string task, double? prolongedStayDays) =>
        task is "prolonged_los" or "composite" && prolongedStayDays is { } days
            ? string.Create(CultureInfo.InvariantCulture, $"{Label(task)} (≥ {days:0.##} days)")
            : Label(task);

    public string Indicator(string task, double risk)
    {
        var threshold = options.ThresholdFor(task);
        return double.IsNaN(risk) ? "info" : risk >= threshold.Critical ? "critical" : risk >= threshold.Warning ? "warning" : "info";
    }

    /// <summary>The risk as a percent that never reads as reaching a band it is below: 0.2996 under a critical threshold
    /// of 0.30 rounds to "30%" beside "elevated" (review s24-cds L8), so such a value is written with one more decimal, cut
    /// rather than rounded ("29.9%").</summary>
    private string RiskPercent(string task, double risk)
    {
        var shown = CardText.Percent(risk);
        var threshold = options.ThresholdFor(task);
        var decimals = risk < 0.1 ? 1 : 0; // as CardText.Percent writes it
        var rounded = double.Parse(shown[..^1], CultureInfo.InvariantCulture);
        var crosses = (risk < threshold.Critical && rounded >= threshold.Critical * 100) || (risk < threshold.Warning && rounded >= threshold.Warning * 100);
        if (!crosses)
            return shown;
        // In decimal: the double 0.0996 times 10,000 is 995.99…, whose floor would read 9.95%.
        var scale = decimals == 0 ? 10m : 100m;
        return (Math.Floor((decimal)risk * 100 * scale) / scale).ToString("0." + new string('0', decimals + 1), CultureInfo.InvariantCulture) + "%";
    }

    private CdsCard RiskCard(RiskCardInput input, PatientRiskResult result, CdsSource source, IReadOnlyList<CdsLink>? links, string? note,
        string uuid)
    {
        var risk = input.Risk;
        // An outcome the record already shows is a fact, not a risk to act on: info, however long ago it was settled
        // (walkthrough review s21 M3: a death ten years ago made a critical card).
        var indicator = risk.Observed is null ? Indicator(risk.Task, risk.Risk) : "info";
        var label = Label(risk.Task, result.ProlongedStayDays);
        var summary = risk.Observed is { } observed
            ? $"{label}: {Observed(observed)}"
            : double.IsNaN(risk.Risk)
            ? $"{label} risk could not be estimated"
            : $"{label} risk: {RiskPercent(risk.Task, risk.Risk)} ({Band(indicator)})";
        // A demo model's card says so where a clinician looks first, not only in the detail (security review s12 #12).
        if (result.TrainedOnSimulatedPatients)
            summary = $"[DEMO, simulated data] {summary}";
        return new CdsCard(uuid, CardText.Truncate(summary), indicator, source, Detail(input, result, note), links);
    }

    private string Detail(RiskCardInput input, PatientRiskResult result, string? note)
    {
        var risk = input.Risk;
        var text = new StringBuilder();
        if (result.TrainedOnSimulatedPatients)
            text.Append(SimulatedModelNote).Append("\n\n");
        text.Append("**").Append(CardText.EscapeMarkdown(Label(risk.Task, result.ProlongedStayDays))).Append(":** ");
        text.Append(risk.Observed is { } seen ? Observed(seen)
            : double.IsNaN(risk.Risk) ? "not estimable (no sampled continuation reached an outcome)" : RiskPercent(risk.Task, risk.Risk));
        if (risk.Interval is { } interval)
            text.Append(CultureInfo.InvariantCulture, $" (95% interval {CardText.Percent(interval.Lower)}–{CardText.Percent(interval.Upper)})");
        text.Append("\n\n").Append(Method(risk, result.PredictionPoint)).Append(CultureInfo.InvariantCulture, $"; {result.EventCount} events read");
        if (result.StoredResources > 0)
            text.Append(CultureInfo.InvariantCulture, $" (the {result.StoredResources} resources stored for the patient included)");
        // The risk is as of the prediction point, the record's last event, which may be years old (service review s10 #5).
        if (result.PredictionPoint is { } point && risk.Observed is null)
        {
            text.Append(CultureInfo.InvariantCulture, $", estimated as of the last, {point.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
            // A record last written long ago gives a risk of then, which the date alone does not make plain (walkthrough
            // review s21 M2: a six-year-old estimate read as current).
            if (result.AnsweredAt is { } now && now - point >= StaleAfter)
                text.Append(" (**").Append(Ago(now - point)).Append(" before today: the risk is of then, not now**)");
        }
        if (result.PredictionPointInFuture)
            text.Append(" (").Append(FutureEventsNote).Append(')');
        if (result.ContextEncounter == ContextEncounterKind.NotInRecord)
            text.Append(" (").Append(EncounterNotInRecordNote).Append(')');
        text.Append("; model `").Append(result.ModelVersion.Replace('`', '\'')).Append("`.");
        if (result.AnsweredByHeadsWhenBusy && risk.Method == RiskMethod.Heads && risk.Observed is null)
            text.Append(' ').Append(BusyNote);
        if (risk.BeforeStayEnd && risk.Method == RiskMethod.Heads && risk.Observed is null)
            text.Append(' ').Append(BeforeStayEndNote);
        if (input.Contributors.Count > 0)
        {
            text.Append("\n\n**Top contributing events**");
            // The explainer measures the stay's last facts only: a card must not read as if the earlier ones did not matter.
            if (input.Contributors.FirstOrDefault(c => c.ExplainedSince is not null)?.ExplainedSince is { } since)
                text.Append(CultureInfo.InvariantCulture, $" (from {since:yyyy-MM-dd HH:mm} UTC; the stay's earlier events were not measured)");
            text.Append("\n\n| Event | Change in risk |\n|---|---|\n");
            foreach (var c in Rows(input.Contributors))
            {
                text.Append("| ").Append(CardText.EscapeMarkdown(c.Label));
                if (c.Facts > 1)
                    text.Append(CultureInfo.InvariantCulture, $" (×{c.Facts})");
                text.Append(" | ").Append(SignedPoints(c.Delta)).Append(" |\n");
            }
        }
        if (note is not null)
            text.Append("\n\n").Append(note);
        return text.ToString().TrimEnd('\n');
    }

    /// <summary>
    /// The card's rows: contributors with one label merged into one row (a card shows the label alone, so one lab at two
    /// times would read as the same line twice), whose change is the sum of theirs and whose count says how many events
    /// it stands for; then the <see cref="MaxContributors"/> largest by |change|, in the source's order on ties.
    /// </summary>
    private static IEnumerable<CardContributor> Rows(IReadOnlyList<CardContributor> contributors) => contributors
        .GroupBy(c => c.Label, StringComparer.Ordinal)
        .Select(g => new CardContributor(g.Key, g.Sum(c => c.Delta), g.Sum(c => c.Facts)))
        .Where(c => c.Delta != 0)
        .OrderByDescending(c => Math.Abs(c.Delta))
        .Take(MaxContributors);

    /// <summary>Added to the method line of a heads risk of a task predicted at a discharge, read while the stay is still
    /// open (<see cref="TaskRisk.BeforeStayEnd"/>; the encounter-discharge hook asks at the discharge instead).</summary>
    public const string BeforeStayEndNote = "Read during the stay: the task head was trained at discharges and may read low before one; the discharge hook asks at the discharge.";

    /// <summary>Added to the method line of a risk the heads answered because the rollouts were at capacity.</summary>
    public const string BusyNote = "This service answers by zero-shot rollouts, which were at capacity: the task head answered instead.";

    /// <summary>How old the prediction point may be before a card says its risk is of then (30 days).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromDays(30);

    /// <summary>Added to the method line when the encounter the hook names is not in the record the service read.</summary>
    public const string EncounterNotInRecordNote = "**the encounter this call names is not in the record read: the risk is not about it**";

    /// <summary>Added to the method line when the record's last event is dated after the service's clock.</summary>
    public const string FutureEventsNote = "**the record's last event is dated after today: check the source's dates**";

    /// <summary>The first line of every card of a model built by <c>fhirrisk demo-model</c> from simulated patients only.</summary>
    public const string SimulatedModelNote =
        "**Demonstration model, trained only on simulated patients: not for clinical decisions.** Serve a model trained on this site's records (Model:Directory).";

    private static string Method(TaskRisk risk, DateTimeOffset? point) => risk.Method switch
    {
        _ when risk.Observed is { Kind: Meds.Tasks.TaskOutcomeKind.Deceased } =>
            "Method: not predicted: the record shows the patient's death and no open stay this task asks about, so no model was asked",
        _ when risk.Observed is { } outcome =>
            $"Method: observed, not predicted: {ObservedWhere(outcome, risk.ObservedIn, point)}, so no model was asked",
        RiskMethod.Rollouts when risk.Estimator == RolloutEstimator.Hazard =>
            $"Method: zero-shot rollouts (ETHOS), {risk.N} labelled continuations, their summed step-by-step chances of the outcome{Recalibrated(risk)}",
        RiskMethod.Rollouts => $"Method: zero-shot rollouts (ETHOS), {risk.N} labelled continuations{Recalibrated(risk)}",
        RiskMethod.Heads => "Method: calibrated task head (multitask prompted finetuning)",
        _ => $"Method: {risk.Method}",
    };

    /// <summary>An outcome the record already shows (<see cref="TaskRisk.Observed"/>), in words for a card.</summary>
    private static string Observed(Meds.Tasks.TaskOutcome outcome) => outcome.Label switch
    {
        _ when outcome.Kind == Meds.Tasks.TaskOutcomeKind.Deceased => "not applicable (the patient died outside any open stay)",
        // A death settles readmission and the composite positive as the labels do; the card says what happened.
        true when outcome.Code is { } code && Meds.Tasks.TaskCodes.Death.Contains(code) => "the patient died (in the record)",
        true => "already occurred (in the record)",
        // Plain words at the bedside (walkthrough review s21 L13: "settled without it" and "leaves this stay out of the
        // question" were hard to read).
        false => "did not occur (in the record)",
        null => "not applicable to this stay (in the record)",
    };

    /// <summary>
    /// Where the record shows an outcome, in words: "this stay" only for the stay the patient is in; a stay that has
    /// ended, or the time after a discharge (readmission, ED return), is named by its date, with when the outcome was
    /// settled and how long before the prediction point (service review s11 #3: a readmission settled years earlier read
    /// "already in this stay's record"). Dates only, which the card shows anyway; no identifiers.
    /// </summary>
    private static string ObservedWhere(Meds.Tasks.TaskOutcome outcome, ObservedSpan? span, DateTimeOffset? point) => span switch
    {
        null => "the outcome is already in the patient's record",
        { Stay: ObservedStay.Open } => $"the outcome is already in this stay's record (the stay since {Utc(span.From)})",
        { Stay: ObservedStay.Ended } => $"the outcome is already in the patient's record, in the stay from {Utc(span.From)}, which has ended{Settled(outcome, span, point)}",
        _ => $"the outcome is already in the patient's record, after the stay that ended {Utc(span.From)}{Settled(outcome, span, point)}",
    };

    /// <summary>", settled 2018-09-16 (6 years before the prediction time)": the deciding event's date (the question's
    /// start plus the outcome's elapsed time), and how long before the point when that is a day or more.</summary>
    private static string Settled(Meds.Tasks.TaskOutcome outcome, ObservedSpan span, DateTimeOffset? point)
    {
        if (outcome.Elapsed is not { } elapsed || outcome.Kind is not (Meds.Tasks.TaskOutcomeKind.Stop or Meds.Tasks.TaskOutcomeKind.Duration or Meds.Tasks.TaskOutcomeKind.TimeLimit))
            return "";
        var settled = span.From + elapsed;
        var text = string.Create(CultureInfo.InvariantCulture, $", settled {settled:yyyy-MM-dd}");
        return point is { } at && at.UtcDateTime - settled is { TotalDays: >= 1 } before ? $"{text} ({Ago(before)} before the prediction time)" : text;
    }

    private static string Ago(TimeSpan span) => span.TotalDays switch
    {
        < 2 => "1 day",
        < 61 => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays} days"),
        < 731 => string.Create(CultureInfo.InvariantCulture, $"{(int)(span.TotalDays / 30.44)} months"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)(span.TotalDays / 365.25)} years"),
    };

    private static string Utc(DateTime time) => string.Create(CultureInfo.InvariantCulture, $"{time:yyyy-MM-dd HH:mm} UTC");

    private static string Recalibrated(TaskRisk risk) => risk.Recalibrated ? ", recalibrated on held-back patients" : "";

    private static string SignedPoints(double delta) =>
        (delta >= 0 ? "+" : "−") + Math.Abs(delta * 100).ToString("0.0", CultureInfo.InvariantCulture) + " pts";

    /// <summary>The summary of the <c>info</c> card added when the record was incomplete.</summary>
    public const string IncompleteSummary = "Risk estimates may be incomplete: some EHR data could not be retrieved or used";

    /// <summary>Ends every risk card, and is the incomplete-data card's detail: the keys not retrieved (in full) and why,
    /// then what was had but not used (docs/cds-hooks.md "Prefetch" step 4). Counts and key names only.</summary>
    private string IncompleteNote(IReadOnlyList<MissingPrefetch> missing, DataGaps gaps)
    {
        var parts = new List<string>();
        if (missing.Count > 0)
        {
            // Keys that failed alike are named together; each keeps its own cause, the first attempt's included.
            parts.Add("not retrieved: " + string.Join("; ", missing.GroupBy(m => m.Problem.Describe(options.Fhir.MaxPages))
                .Select(g => $"{string.Join(", ", g.Select(m => m.Key))} ({g.Key})")));
        }
        var unused = new List<string>();
        if (gaps.Rejected > 0)
            unused.Add($"{Resources(gaps.Rejected)} the FHIR reader refused");
        if (gaps.OtherPatient > 0)
            unused.Add($"{Resources(gaps.OtherPatient)} about another patient");
        if (gaps.StoredHistoryUnavailable)
            unused.Add("the stored history (store unavailable)");
        if (gaps.StoredHistoryCut)
            unused.Add("the older part of a stored history over the server's read limit");
        if (unused.Count > 0)
            parts.Add("not used: " + string.Join(", ", unused));
        if (gaps.ReadInPart > 0)
            parts.Add($"read in part: {Resources(gaps.ReadInPart)} with values of the wrong type or invalid, which were ignored");
        return "_Incomplete data:_ " + CardText.EscapeMarkdown(string.Join("; ", parts)) + ". The estimate uses the rest of the record.";
    }

    private static string Resources(int count) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} supplied {(count == 1 ? "resource" : "resources")}");

    /// <summary>The prediction's warnings (issue codes with counts; docs/formats/fhir-ingestion.md) for whoever
    /// integrates the EHR; rollouts at capacity are said on each card already.</summary>
    private static string ReaderNotes(IReadOnlyList<string> warnings)
    {
        // Notes on how the model answered, and on the model itself, are on each card's method line or first line, not
        // issues of the FHIR data.
        string[] notOfTheData =
        [
            Patients.TimelinePredictor.RolloutsBusyCode, Patients.TimelinePredictor.UnknownCodesCode,
            Patients.TimelinePredictor.HeadsBeforeStayEndCode, Patients.TimelinePredictor.HeadsAsOfLastEventCode,
            Patients.TimelinePredictor.FutureEventsCode, Patients.TimelinePredictor.SimulatedModelCode,
        ];
        var codes = warnings.Where(w => !notOfTheData.Any(c => w.StartsWith(c, StringComparison.Ordinal))).ToList();
        return codes.Count == 0 ? "" : "\n\nIssues found reading the FHIR data (codes): " + CardText.EscapeMarkdown(string.Join(", ", codes)) + ".";
    }

    private static string Band(string indicator) => indicator switch
    {
        "critical" => "high",
        "warning" => "elevated",
        _ => "low",
    };

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

}
