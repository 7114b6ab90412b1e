using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds.Tasks;
using FhirRisk.Tokenizer;

namespace FhirRisk.Inference.Explanations;

/// <summary>
/// Timeline tokens → <see cref="ClinicalFact"/>s: the tokenizer's segments (<see cref="TimelineTokenizer.Segment"/>,
/// one per event with its interval and decile tokens), grouped by <see cref="FactGrouping"/> and labelled by
/// <see cref="FactLabels"/>.
/// </summary>
internal static class ClinicalFacts
{
    /// <summary>Every fact of timeline tokens <paramref name="from"/> … <paramref name="to"/> (inclusive), labelled: the
    /// plain twin of <see cref="Explained"/>, which builds only the last few (the tests hold one to the other).</summary>
    public static IReadOnlyList<ClinicalFact> Of(TimelineTokenizer tokenizer, EncodedTimeline timeline, int from, int to, ExplanationSettings settings,
        CodeNames? names = null)
    {
        names ??= new CodeNames(settings.CodeDescriptions);
        var tokens = timeline.Tokens;
        var times = timeline.Times;
        var segments = tokenizer.Segment(tokens[from..(to + 1)]);
        var facts = new List<ClinicalFact>(segments.Count);
        var group = new List<TimelineSegment>();
        foreach (var segment in segments)
        {
            if (group.Count > 0 && !Joins(settings.Grouping, group[^1], segment, times, from))
            {
                facts.Add(Fact(tokenizer, timeline, from, group, names));
                group.Clear();
            }
            group.Add(segment);
        }
        if (group.Count > 0)
            facts.Add(Fact(tokenizer, timeline, from, group, names));
        return facts;
    }

    /// <summary>
    /// The facts an explanation of timeline tokens <paramref name="from"/> … <paramref name="to"/> (inclusive) explains:
    /// those after the span's first fact (which anchors the trajectory), at most the last <paramref name="max"/> of them,
    /// in timeline order, with the number of earlier ones left out. Only the facts returned are built and labelled: a
    /// span of a long record without a stay start (the whole timeline, tens of thousands of events) is segmented and
    /// grouped, but its labels — most of an explanation's allocations — are made for the few it explains.
    /// </summary>
    /// <param name="names">Names of codes for the labels; null: the settings'.</param>
    public static (IReadOnlyList<ClinicalFact> Facts, int Omitted) Explained(TimelineTokenizer tokenizer, EncodedTimeline timeline, int from, int to,
        ExplanationSettings settings, int max, CodeNames? names = null)
    {
        names ??= new CodeNames(settings.CodeDescriptions);
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        var times = timeline.Times;
        var segments = tokenizer.Segment(timeline.Tokens[from..(to + 1)]);
        // Where each fact begins: a segment that does not join the one before it (the last of the fact being formed).
        var starts = new List<int>();
        for (var s = 0; s < segments.Count; s++)
        {
            if (s == 0 || !Joins(settings.Grouping, segments[s - 1], segments[s], times, from))
                starts.Add(s);
        }
        var candidates = Math.Max(0, starts.Count - 1);
        var omitted = Math.Max(0, candidates - max);
        var facts = new List<ClinicalFact>(candidates - omitted);
        var group = new List<TimelineSegment>();
        for (var f = 1 + omitted; f < starts.Count; f++)
        {
            group.Clear();
            for (var s = starts[f]; s < (f + 1 < starts.Count ? starts[f + 1] : segments.Count); s++)
                group.Add(segments[s]);
            facts.Add(Fact(tokenizer, timeline, from, group, names));
        }
        return (facts, omitted);
    }

    /// <summary>
    /// The start of the task's stay at <paramref name="index"/>: its last start code at or before it (mid-stay the open
    /// stay; otherwise the last one, even though it has ended), or 0. With <paramref name="fromStayEnd"/>, a task
    /// predicted at a stay's end (readmission, ED re-attendance) asked once the patient is out of that kind of stay starts
    /// at the stay's last end code instead, so every rollout trajectory point asks the label's question — from that end,
    /// with the time since it spent (<see cref="StayClock"/>) — rather than at the finished stay's admission. Inside a stay
    /// of its kind the span is that stay, whose points ask the question at its coming end (<see cref="QuestionStart.AwaitsEnd"/>).
    /// </summary>
    public static int StayStart(TokenMeanings meanings, EncodedTimeline timeline, int index, TaskDefinition task, bool fromStayEnd = false)
    {
        if (fromStayEnd && task.Point.At == StayBoundary.End && StayClock.Anchor(meanings, timeline, index, task) is { } end)
            return end;
        var tokens = timeline.Tokens;
        var startCode = task.Point.Stay.StartCode;
        for (var i = index; i >= 0; i--)
        {
            if (CodeSet.Matches(meanings.CodeOf(tokens[i]), startCode))
                return i;
        }
        return 0;
    }

    // Whether a segment joins the fact formed before it: never across time; a stay's start or end joins another one at
    // its instant under either grouping, as a transfer is one fact ("HOSPITAL_ADMISSION//IMP ED_OUT", the canonical
    // order's admission from the ED: apart, the ED departure was explained as a fact of every ED admission, its point
    // a prompt ending inside the admission's timestamp where no label is asked; review s24 L1); by time and vocabulary,
    // codes of one vocabulary (a panel, the diagnoses coded together).
    private static bool Joins(FactGrouping grouping, TimelineSegment last, TimelineSegment next, ReadOnlySpan<long> times, int from) =>
        !next.HasTime
        && last.Code is { } a && next.Code is { } b
        && times[from + last.EventStart] == times[from + next.EventStart]
        && ((IsStayBoundary(a) && IsStayBoundary(b))
            || (grouping == FactGrouping.TimeAndVocabulary && Vocabulary.VocabularyOf(a) == Vocabulary.VocabularyOf(b)));

    private static readonly StayKind[] s_stays = [StayKind.Hospital, StayKind.Icu, StayKind.Emergency];

    private static bool IsStayBoundary(string code) =>
        s_stays.Any(kind => CodeSet.Matches(code, kind.StartCode) || CodeSet.Matches(code, kind.EndCode));

    private static ClinicalFact Fact(TimelineTokenizer tokenizer, EncodedTimeline timeline, int from, List<TimelineSegment> group, CodeNames names)
    {
        var (start, end) = (from + group[0].Start, from + group[^1].End);
        var time = DateTime.UnixEpoch.AddTicks(timeline.Times[end - 1] * TimeSpan.TicksPerMicrosecond);
        var codes = group.Where(s => s.Code is not null).Select(s => s.Code!).ToArray();
        string label;
        if (codes.Length == 0)
        {
            var intervals = new string[end - start];
            for (var i = 0; i < intervals.Length; i++)
                intervals[i] = tokenizer.Vocabulary[timeline.Tokens[start + i]];
            label = FactLabels.ForTime(intervals);
        }
        else
        {
            var labels = group.Where(s => s.Code is not null)
                .Select(s => FactLabels.ForEvent(s.Code!, s.Bin, s.NumericValue, s.BinLower, s.BinUpper, names))
                .ToArray();
            label = labels.Length == 1 ? labels[0] : FactLabels.ForGroup(labels);
        }
        return new ClinicalFact(start, from + group[0].EventStart, end, time, codes, label);
    }
}
