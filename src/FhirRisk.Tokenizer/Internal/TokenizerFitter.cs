using System.Runtime.InteropServices;
using FhirRisk.Core;
using FhirRisk.Meds;

namespace FhirRisk.Tokenizer.Internal;

/// <summary>
/// Fits a <see cref="TimelineTokenizer"/> on the fit splits in two streaming passes: the first counts code tokens,
/// static values, numeric values and time gaps; the second collects the values of the quantized codes only, so
/// memory holds the counts plus those codes' values, never the dataset. Data that would give a wrong fit is refused with
/// the <see cref="MedsFormatException"/> codes <c>meds validate</c> reports: a subject whose times go back (MEDS015),
/// and subjects read from a fit split's folder whose <c>subject_splits.parquet</c> entry names another split (MEDS021;
/// their values would otherwise leak into the deciles and interval estimates).
/// </summary>
internal sealed class TokenizerFitter(MedsDatasetReader dataset, TokenizerSettings settings)
{
    private readonly StaticFieldMap _statics = new(settings);
    private readonly IntervalCoder _coder = new(settings.Intervals);
    private readonly Dictionary<string, long> _tokenCounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> _fullTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _numericCounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Events, long AtMidnight)> _midnightCounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _tokenSubjects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _numericSubjects = new(StringComparer.Ordinal);
    private readonly HashSet<string> _subjectTokens = new(StringComparer.Ordinal);
    private readonly HashSet<string> _subjectNumericCodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _staticCounts = new(StringComparer.Ordinal);
    private long _subjects, _timelines, _events, _subjectsWithoutBirth;
    private long _misplacedSubjects;
    private MedsSubject? _firstMisplaced;

    public TimelineTokenizer Fit()
    {
        foreach (var field in _statics.Fields)
            _staticCounts[field + Vocabulary.UnknownValueSuffix] = 0;
        var estimator = new IntervalEstimator(_coder, settings.Intervals);
        foreach (var subject in dataset.ReadSubjects(Read(MedsEventColumns.Time | MedsEventColumns.Code | MedsEventColumns.NumericValue)))
        {
            if (IsMisplaced(subject))
                continue;
            CountSubject(subject, estimator);
        }
        ThrowIfMisplaced();
        if (_subjects == 0)
            throw new ArgumentException($"The dataset at {dataset.Root} has no subjects in split {string.Join(" or ", settings.FitSplits)}; a tokenizer fitted on nothing could encode nothing.");
        var intervals = estimator.Estimates();

        var layout = new VocabularyBuilder(settings, _staticCounts, _tokenCounts, _tokenSubjects);
        var quantileCounts = new long[CodeQuantiles.BinCount];
        var quantiles = FitQuantiles(ChooseQuantizedCodes(layout), quantileCounts);

        var reservedCounts = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            [Vocabulary.TimelineEnd] = _timelines,
            [Vocabulary.AgeUnknown] = _subjectsWithoutBirth,
        };
        foreach (var interval in intervals)
            reservedCounts[interval.Token] = interval.Count;
        for (var bin = 1; bin <= CodeQuantiles.BinCount; bin++)
            reservedCounts[Vocabulary.QuantileToken(bin)] = quantileCounts[bin - 1];

        var fittedOn = new TokenizerFitSummary(settings.FitSplits, _subjects, _events)
        {
            DateOnlyGroups = DateOnlyGroups(),
            SiteTimeZone = dataset.Metadata?.SiteTimeZone,
        };
        var tokenizer = new TimelineTokenizer(settings, layout.Build(reservedCounts), intervals, quantiles, fittedOn);
        tokenizer.CodeDescriptions = KnownNames(tokenizer);
        return tokenizer;
    }

    // The descriptions codes.parquet gives the codes that are tokens of the vocabulary, so passed the small-cell rule
    // themselves. Not every code the tokenizer writes in full: a split ICD code is its category's token and its digits'
    // (shared by every category), so a full code seen in one patient encodes exactly, and its name would carry that
    // patient's diagnosis into the model directory (review s23 H1). Names are optional: a codes.parquet that cannot be read
    // gives none (fhirrisk meds validate names its problem), as before names were kept.
    private IReadOnlyDictionary<string, string> KnownNames(TimelineTokenizer tokenizer)
    {
        IReadOnlyList<MedsCodeMetadata> codes;
        try
        {
            codes = dataset.ReadCodes();
        }
        catch (Exception e) when (e is InvalidDataException or MedsFormatException or Parquet.ParquetException or IOException)
        {
            return new Dictionary<string, string>();
        }
        var names = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var code in codes)
        {
            if (!string.IsNullOrWhiteSpace(code.Description) && tokenizer.Vocabulary.TryGetId(code.Code, out _))
                names[code.Code] = code.Description.Trim();
        }
        return names;
    }

    // Groups of timed codes nearly all at midnight that the day-end prefixes do not already move (after the move, a
    // moved code sits at the day's last microsecond, so it no longer counts as midnight).
    private DateOnlyCodeGroup[] DateOnlyGroups() => DateOnlyCodeGroup.Find(_midnightCounts);

    private MedsReadOptions Read(MedsEventColumns columns) => new() { Splits = settings.FitSplits, Columns = columns };

    // The folder gives a subject's split when its shard lies in data/<split>/; the listing must agree, or a held-out
    // subject filed under data/train/ would be fitted on. Every such subject is counted before the fit is refused.
    private bool IsMisplaced(MedsSubject subject)
    {
        if (!dataset.SubjectSplits.TryGetValue(subject.SubjectId, out var listed) || listed == subject.Split)
            return false;
        _misplacedSubjects++;
        _firstMisplaced ??= subject;
        return true;
    }

    private void ThrowIfMisplaced()
    {
        if (_firstMisplaced is not { } first)
            return;
        throw new MedsFormatException(Issue.Error(MedsIssueCodes.SubjectInWrongSplitFolder, $"{MedsSchema.DataFolder}/{first.Split}/",
            $"{_misplacedSubjects} subject(s) in the folder of fit split '{first.Split}' are listed in another split in {MedsSchema.SubjectSplitsFile} " +
            $"(first: subject {first.SubjectId}, listed in '{dataset.SubjectSplits[first.SubjectId]}'); the tokenizer is not fitted on subjects whose split is in doubt."));
    }

    private void CountSubject(MedsSubject subject, IntervalEstimator estimator)
    {
        _subjects++;
        _subjectTokens.Clear();
        _subjectNumericCodes.Clear();
        var hasBirth = false;
        var seenStatics = new HashSet<string>(StringComparer.Ordinal);
        long? previous = null;
        foreach (var ev in DayEndCodes.Apply(settings.DayEndCodes, settings.PlaceDateOnlyDeaths ? DateOnlyDeaths.Place(subject.Events) : subject.Events))
        {
            _events++;
            if (StaticFieldMap.IsBirth(ev.Code))
            {
                hasBirth |= ev.Time is not null;
                continue;
            }
            if (_statics.FieldOf(ev.Code) >= 0)
            {
                if (seenStatics.Add(ev.Code))
                    CollectionsMarshal.GetValueRefOrAddDefault(_staticCounts, ev.Code, out _)++;
                continue;
            }
            if (ev.Time is not { } time)
                continue;
            ref var counts = ref CollectionsMarshal.GetValueRefOrAddDefault(_midnightCounts, ev.Code, out _);
            counts.Events++;
            if (time.TimeOfDay == TimeSpan.Zero)
                counts.AtMidnight++;
            var micros = MicrosecondTime.From(time);
            if (previous is { } last && micros < last)
                throw Unsorted(subject.SubjectId, subject.Split);
            if (previous is { } before && micros != before)
                estimator.Add(micros - before);
            previous = micros;
            foreach (var token in FullTokens(ev.Code))
            {
                CollectionsMarshal.GetValueRefOrAddDefault(_tokenCounts, token, out _)++;
                if (_subjectTokens.Add(token))
                    CollectionsMarshal.GetValueRefOrAddDefault(_tokenSubjects, token, out _)++;
            }
            if (ev.NumericValue is { } value && float.IsFinite(value))
            {
                CollectionsMarshal.GetValueRefOrAddDefault(_numericCounts, ev.Code, out _)++;
                if (_subjectNumericCodes.Add(ev.Code))
                    CollectionsMarshal.GetValueRefOrAddDefault(_numericSubjects, ev.Code, out _)++;
            }
        }
        if (previous is not null)
            _timelines++;
        if (!hasBirth)
            _subjectsWithoutBirth++;
        foreach (var field in _statics.Fields)
        {
            if (!seenStatics.Any(code => code.StartsWith(field + "//", StringComparison.Ordinal)))
                CollectionsMarshal.GetValueRefOrAddDefault(_staticCounts, field + Vocabulary.UnknownValueSuffix, out _)++;
        }
    }

    // Encoding refuses such a subject too (DatasetTokenization.Unsorted), so fit and apply accept the same data.
    // Times are left out of the message: ids and counts only (STYLE 8).
    private static MedsFormatException Unsorted(long subjectId, string split) =>
        new(Issue.Error(MedsIssueCodes.TimesUnsorted, split.Length > 0 ? $"{MedsSchema.DataFolder}/{split}/" : $"{MedsSchema.DataFolder}/",
            $"Subject {subjectId}: time goes back; MEDS sorts each subject's rows by time, and the tokenizer does not re-sort them."));

    private string[] FullTokens(string code)
    {
        if (!_fullTokens.TryGetValue(code, out var tokens))
            _fullTokens.Add(code, tokens = [.. CodePlanner.FullTokens(code, settings.Hierarchies)]);
        return tokens;
    }

    // The N codes with the most numeric values whose own code is one token that made the vocabulary, each with values
    // from at least MinSubjects subjects: breaks and bin values are train values, so fewer would publish their results.
    private HashSet<string> ChooseQuantizedCodes(VocabularyBuilder vocabulary) => _numericCounts
        .Where(c => FullTokens(c.Key) is [var only] && only == c.Key && vocabulary.Keeps(only) && _numericSubjects[c.Key] >= settings.MinSubjects)
        .OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
        .Take(settings.QuantizedCodes)
        .Select(c => c.Key)
        .ToHashSet(StringComparer.Ordinal);

    private SortedDictionary<string, CodeQuantiles> FitQuantiles(HashSet<string> codes, long[] binCounts)
    {
        var values = codes.ToDictionary(c => c, _ => new List<float>(), StringComparer.Ordinal);
        if (codes.Count > 0)
        {
            foreach (var ev in dataset.ReadEvents(Read(MedsEventColumns.Time | MedsEventColumns.Code | MedsEventColumns.NumericValue)))
            {
                if (ev.Time is not null && ev.NumericValue is { } value && values.TryGetValue(ev.Code, out var list))
                    list.Add(value);
            }
        }
        var quantiles = new SortedDictionary<string, CodeQuantiles>(StringComparer.Ordinal);
        foreach (var (code, list) in values)
        {
            var fitted = CodeQuantiles.Fit(code, CollectionsMarshal.AsSpan(list));
            quantiles.Add(code, fitted);
            if (!fitted.HasBins)
                continue;
            for (var bin = 0; bin < fitted.BinCounts.Count; bin++)
                binCounts[bin] += fitted.BinCounts[bin];
        }
        return quantiles;
    }
}
