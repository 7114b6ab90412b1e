using FhirRisk.Meds;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Probes;

namespace FhirRisk.Training.Baselines;

/// <summary>
/// The count baseline's feature columns: every code, or ICD ancestor reached by roll-up (<see cref="CodeRollup"/>), seen
/// at least <see cref="CodeCountSettings.MinCount"/> times in the fitting splits' events, in ordinal order, then the age
/// column. Fitted on the training split only, so held-out data never shapes the features.
/// </summary>
public sealed class CodeCountVocabulary
{
    /// <summary>The name of the age column.</summary>
    public const string AgeFeature = "AGE//YEARS";

    private readonly Dictionary<string, int> _index;

    private CodeCountVocabulary(IReadOnlyList<string> codes, CodeCountSettings settings, IReadOnlyList<string> dayEndCodes)
    {
        Settings = settings;
        DayEndCodes = dayEndCodes;
        Features = settings.IncludeAge ? [.. codes, AgeFeature] : codes;
        _index = codes.Select((code, i) => (code, i)).ToDictionary(p => p.code, p => p.i, StringComparer.Ordinal);
        CodeColumns = codes.Count;
    }

    public CodeCountSettings Settings { get; }

    /// <summary>The code groups counted at the end of their day (<see cref="CodeCountSettings.PlaceDateOnly"/>): those
    /// the fitting splits record by date only.</summary>
    public IReadOnlyList<string> DayEndCodes { get; }

    /// <summary>Column names: the codes, then <see cref="AgeFeature"/> when <see cref="CodeCountSettings.IncludeAge"/>.</summary>
    public IReadOnlyList<string> Features { get; }

    /// <summary>Columns that count codes (all but the age column).</summary>
    public int CodeColumns { get; }

    /// <summary>The column of age, or −1.</summary>
    public int AgeColumn => Settings.IncludeAge ? CodeColumns : -1;

    /// <summary>The column counting <paramref name="feature"/>, or −1 when it is not in the vocabulary.</summary>
    public int IndexOf(string feature) => _index.TryGetValue(feature, out var i) ? i : -1;

    /// <summary>Counts codes in the <see cref="CodeCountSettings.FitSplits"/> events of <paramref name="dataset"/>.</summary>
    /// <exception cref="TrainingException">No feature reaches the minimum count.</exception>
    public static CodeCountVocabulary Fit(MedsDatasetReader dataset, CodeCountSettings? settings = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        settings = (settings ?? CodeCountSettings.Default).Validate();
        var midnight = new Dictionary<string, (long Events, long AtMidnight)>(StringComparer.Ordinal);
        var columns = settings.PlaceDateOnly ? MedsEventColumns.Code | MedsEventColumns.Time : MedsEventColumns.Code;
        var events = dataset.ReadEvents(new MedsReadOptions { Splits = settings.FitSplits, Columns = columns })
            .Select((ev, i) =>
            {
                if ((i & 0xFFFF) == 0)
                    cancellationToken.ThrowIfCancellationRequested();
                if (settings.PlaceDateOnly && ev.Time is { } time)
                {
                    ref var counts = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(midnight, ev.Code, out _);
                    counts.Events++;
                    if (time.TimeOfDay == TimeSpan.Zero)
                        counts.AtMidnight++;
                }
                return ev.Code;
            });
        // The day-end groups are known once the events have been read, which Fit does first.
        return Fit(events, settings, dataset.Root, () => DateOnlyCodeGroup.DayEndCandidates(DateOnlyCodeGroup.Find(midnight)));
    }

    /// <summary>Fits on the codes of the fitting events, one per event.</summary>
    /// <param name="codes">The code of every event of the fitting splits.</param>
    /// <param name="settings">Minimum count, roll-up families, age column (the splits are the caller's business here).</param>
    /// <param name="source">Names the data in an error.</param>
    /// <exception cref="TrainingException">No feature reaches the minimum count.</exception>
    public static CodeCountVocabulary Fit(IEnumerable<string> codes, CodeCountSettings? settings = null, string source = "codes")
    {
        ArgumentNullException.ThrowIfNull(codes);
        return Fit(codes, (settings ?? CodeCountSettings.Default).Validate(), source, static () => []);
    }

    private static CodeCountVocabulary Fit(IEnumerable<string> codes, CodeCountSettings settings, string source, Func<IReadOnlyList<string>> dayEndCodes)
    {
        var codeCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        long events = 0;
        foreach (var code in codes)
        {
            codeCounts[code] = codeCounts.GetValueOrDefault(code) + 1;
            events++;
        }

        var rollup = new CodeRollup(settings.Hierarchies);
        var featureCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (code, count) in codeCounts)
        {
            foreach (var feature in rollup.Expand(code))
                featureCounts[feature] = featureCounts.GetValueOrDefault(feature) + count;
        }
        var features = featureCounts.Where(p => p.Value >= settings.MinCount).Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();
        if (features.Length == 0)
        {
            throw new TrainingException(ProbeErrorCodes.EmptyVocabulary, source,
                $"no code occurs {settings.MinCount} or more times in the {string.Join("/", settings.FitSplits)} split ({events} events read). Hint: lower the minimum count, or name a split that has events.");
        }
        return new CodeCountVocabulary(features, settings, dayEndCodes());
    }
}
