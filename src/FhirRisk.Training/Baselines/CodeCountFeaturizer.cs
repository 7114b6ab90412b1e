using FhirRisk.Meds;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Linear;
using FhirRisk.Training.Probes;

namespace FhirRisk.Training.Baselines;

/// <summary>
/// The count baseline's features (issue 6 item 4; EHRSHOT's count featurizer, reference/peers.md §3.3): for each
/// prediction point, how often each vocabulary code occurred in the subject's events <b>at or before</b> the prediction
/// time — MEDS <c>prediction_time</c> is inclusive and every event sharing that timestamp is context (docs/tasks.md) —
/// with ICD codes also counting toward their ancestors, static rows (no time) always counted, and the age in years at
/// the prediction time (0 without <c>MEDS_BIRTH</c>). Codes outside the vocabulary are dropped. Date-only events are
/// placed as the labels and the tokenizer place them (<see cref="CodeCountSettings.PlaceDateOnly"/>). Sparse rows; the
/// logistic regression scales them by max |x| as EHRSHOT does.
/// </summary>
public sealed class CodeCountFeaturizer : IPointFeaturizer
{
    public const string MethodName = "count_baseline";

    // A mean Gregorian year.
    private const double DaysPerYear = 365.2425;

    private readonly CodeCountVocabulary _vocabulary;
    private readonly CodeRollup _rollup;
    private readonly Dictionary<string, int[]> _columns = new(StringComparer.Ordinal);
    private readonly SparseFeatureMatrix.Builder _rows;
    private readonly Dictionary<int, int> _counts = [];

    public CodeCountFeaturizer(CodeCountVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        _vocabulary = vocabulary;
        _rollup = new CodeRollup(vocabulary.Settings.Hierarchies);
        _rows = new SparseFeatureMatrix.Builder(vocabulary.Features.Count);
    }

    public string Method => MethodName;

    public MedsEventColumns Columns => MedsEventColumns.Time | MedsEventColumns.Code;

    public FeatureScaling Scaling => FeatureScaling.MaxAbs;

    public void Add(MedsSubject subject, IReadOnlyList<DateTime> predictionTimes)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(predictionTimes);
        _counts.Clear();
        DateTime? birth = null;
        // As the labels and the tokenizer read the record: a date-only death after its day's events, date-only groups at
        // the end of their day (CodeCountSettings.PlaceDateOnly).
        var events = _vocabulary.Settings.PlaceDateOnly
            ? DayEndCodes.Apply(_vocabulary.DayEndCodes, DateOnlyDeaths.Place(subject.Events))
            : subject.Events;
        var next = 0;
        var indices = new List<int>();
        var values = new List<double>();
        foreach (var time in predictionTimes)
        {
            for (; next < events.Count && (events[next].Time is not { } at || at <= time); next++)
            {
                var ev = events[next];
                if (ev.Code == MedsSchema.BirthCode && ev.Time is { } born)
                    birth ??= born;
                foreach (var column in ColumnsOf(ev.Code))
                    _counts[column] = _counts.GetValueOrDefault(column) + 1;
            }

            indices.Clear();
            values.Clear();
            foreach (var column in _counts.Keys.Order())
            {
                indices.Add(column);
                values.Add(_counts[column]);
            }
            if (_vocabulary.AgeColumn >= 0 && birth is { } b)
            {
                indices.Add(_vocabulary.AgeColumn);
                values.Add(Math.Max(0, (time - b).TotalDays / DaysPerYear));
            }
            _rows.AddRow(indices.ToArray(), values.ToArray());
        }
    }

    public FeatureMatrix Build(IProgress<ProbeProgress>? progress = null, CancellationToken cancellationToken = default) => _rows.Build();

    private int[] ColumnsOf(string code)
    {
        if (_columns.TryGetValue(code, out var columns))
            return columns;
        columns = [.. _rollup.Expand(code).Select(_vocabulary.IndexOf).Where(i => i >= 0)];
        _columns[code] = columns;
        return columns;
    }
}
