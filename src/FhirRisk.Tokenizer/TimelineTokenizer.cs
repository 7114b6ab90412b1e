using System.Runtime.InteropServices;
using FhirRisk.Meds;
using FhirRisk.Tokenizer.Internal;

namespace FhirRisk.Tokenizer;

/// <summary>
/// The timeline language of DESIGN §4 (after ETHOS-ARES, reference/ethos.md §1): fitted once on the train split, then
/// encodes subjects into token ids with times, rebuilds the static prefix for any window, and decodes tokens back into
/// MEDS events. Immutable after fitting or loading and safe to share between threads.
/// </summary>
public sealed class TimelineTokenizer
{
    // A mean Gregorian year, 365.2425 days.
    private const long MicrosPerYear = 31_556_952_000_000;

    private readonly StaticFieldMap _statics;
    private readonly IntervalCoder _coder;
    private readonly CodePlanner _planner;
    private readonly TokenTable _table;
    private readonly int[] _intervalIds;
    private readonly int[] _quantileIds;
    private readonly int[] _unknownValueIds;
    private readonly int _endId;
    private readonly int[] _tieRanks;
    private readonly int[] _stayOf;
    private readonly Lazy<ulong> _encodingFingerprint;

    internal TimelineTokenizer(
        TokenizerSettings settings,
        Vocabulary vocabulary,
        IReadOnlyList<IntervalEstimate> intervals,
        IReadOnlyDictionary<string, CodeQuantiles> quantiles,
        TokenizerFitSummary fittedOn)
    {
        Settings = settings;
        Vocabulary = vocabulary;
        Intervals = intervals;
        Quantiles = quantiles;
        FittedOn = fittedOn;
        _statics = new StaticFieldMap(settings);
        _coder = new IntervalCoder(settings.Intervals);
        _planner = new CodePlanner(vocabulary, settings, quantiles);
        _table = new TokenTable(vocabulary, settings);
        _intervalIds = settings.Intervals.Select(i => vocabulary.IdOf(i.Name)).ToArray();
        _quantileIds = Enumerable.Range(1, CodeQuantiles.BinCount).Select(b => vocabulary.IdOf(Vocabulary.QuantileToken(b))).ToArray();
        _unknownValueIds = _statics.Fields.Select(f => vocabulary.IdOf(f + Vocabulary.UnknownValueSuffix)).ToArray();
        _endId = vocabulary.IdOf(Vocabulary.TimelineEnd);
        _tieRanks = [.. vocabulary.Tokens.Select(TieEntry.RankOf)];
        _stayOf = [.. vocabulary.Tokens.Select(TieEntry.StayOf)];
        _encodingFingerprint = new Lazy<ulong>(() => TokenizerManifest.EncodingFingerprint(this));
        HasAge = settings.StaticFields.Contains(TokenizerSettings.AgeField);
        PrefixLength = _statics.Fields.Count + (HasAge ? 2 : 0);
    }

    public TokenizerSettings Settings { get; }

    public Vocabulary Vocabulary { get; }

    /// <summary>One estimate per interval token, in <see cref="TokenizerSettings.Intervals"/> order.</summary>
    public IReadOnlyList<IntervalEstimate> Intervals { get; }

    /// <summary>Deciles of the quantized codes, by code.</summary>
    public IReadOnlyDictionary<string, CodeQuantiles> Quantiles { get; }

    public TokenizerFitSummary FittedOn { get; }

    /// <summary>
    /// Readable names of the codes this tokenizer encodes as themselves, from the fit dataset's
    /// <c>metadata/codes.parquet</c> descriptions (which <c>fhirrisk ingest</c> takes from the FHIR codings' displays),
    /// by code; saved beside the tokenizer as <c>codes.tsv</c>. Explanations label facts with them where the patient's
    /// record names none. Not part of what the tokenizer encodes by (<see cref="EncodingFingerprint"/>). Empty when the
    /// dataset had no descriptions, and for tokenizers saved before 2026-12-07.
    /// </summary>
    public IReadOnlyDictionary<string, string> CodeDescriptions { get; internal set; } = new Dictionary<string, string>();

    /// <summary>
    /// What the tokenizer encodes by, beyond its token list (<see cref="Vocabulary.Fingerprint"/>): the first 8 bytes,
    /// read little-endian, of SHA-256 over its <c>tokenizer.json</c> without <c>fitted_on</c> (compact, as this build
    /// writes it) and its vocabulary fingerprint. Two tokenizers fitted on other data or with other options often have the
    /// same tokens but other decile cut points, quantized codes, intervals or date rules, and so give the same ids other
    /// meanings (review s22 trainer H1); their encoding fingerprints differ.
    /// </summary>
    public ulong EncodingFingerprint => _encodingFingerprint.Value;

    /// <summary>Tokens in every window's static prefix (one per static field, two for age).</summary>
    public int PrefixLength { get; }

    private bool HasAge { get; }

    /// <summary>Fits the vocabulary, deciles and interval estimates on <see cref="TokenizerSettings.FitSplits"/> of <paramref name="dataset"/>.</summary>
    public static TimelineTokenizer Fit(MedsDatasetReader dataset, TokenizerSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        settings ??= TokenizerSettings.Default;
        settings.Validate();
        // A split can be listed in subject_splits.parquet yet have no shard (the MIMIC-IV demo lists train subjects it does not ship).
        var withShards = dataset.Shards.Select(s => s.Split).Distinct().ToArray();
        if (!withShards.Contains("") && !settings.FitSplits.Any(withShards.Contains))
            throw new ArgumentException($"The dataset at {dataset.Root} has no shards for split {string.Join(" or ", settings.FitSplits)} (shards exist for: {string.Join(", ", withShards)}); fit on the train split, or name another with FitSplits.");
        return new TokenizerFitter(dataset, settings).Fit();
    }

    /// <summary>Loads a tokenizer saved by <see cref="Save"/>; throws <see cref="InvalidDataException"/> with a hint on an unknown version.</summary>
    public static TimelineTokenizer Load(string directory) => TokenizerFiles.Load(directory);

    /// <summary>Writes <c>tokenizer.json</c> and <c>vocabulary.tsv</c> into <paramref name="directory"/>, and <c>codes.tsv</c>
    /// when it names codes (<see cref="CodeDescriptions"/>; docs/formats/tokenizer.md).</summary>
    public void Save(string directory) => TokenizerFiles.Save(this, directory);

    internal SubjectStatics CreateStatics() => new(_statics.Fields.Count);

    /// <summary>A buffer for <see cref="Encode(IReadOnlyList{MedsEvent}, EncodedTimeline)"/>.</summary>
    public EncodedTimeline CreateBuffer() => new(_statics.Fields.Count);

    /// <summary>Encodes one subject, ending the timeline with <c>TIMELINE_END</c> (a complete history).</summary>
    public EncodedTimeline Encode(MedsSubject subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var timeline = CreateBuffer();
        Encode(subject.Events, timeline);
        return timeline;
    }

    /// <summary>
    /// Encodes one subject's events (MEDS order: static rows, then by time) into <paramref name="timeline"/>, replacing what
    /// it held. The events of one timestamp are written in <see cref="TokenizerSettings.TieOrder"/>. Static-field codes and <c>MEDS_BIRTH</c> go to <see cref="EncodedTimeline.Statics"/>, other static rows are
    /// not part of the timeline. <paramref name="endTimeline"/> appends <c>TIMELINE_END</c> (leave it off for a live
    /// patient whose history goes on).
    /// </summary>
    public void Encode(IReadOnlyList<MedsEvent> events, EncodedTimeline timeline, bool endTimeline = true)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(timeline);
        events = Placed(events);
        timeline.Clear(events.Count > 0 ? events[0].SubjectId : 0);
        var canonical = Settings.TieOrder == TieOrder.Canonical;
        Span<int> open = stackalloc int[StayKinds];
        long? previous = null;
        var i = 0;
        while (i < events.Count)
        {
            if (events[i].Time is not { } time)
            {
                IsStatic(events[i], timeline.Statics);
                i++;
                continue;
            }
            var micros = MicrosecondTime.From(time);
            var end = RunEnd(events, i, time);
            // Only events that write tokens keep the clock: the order check and the interval tokens ignore a run of
            // static fields and births alone.
            if (previous is { } last && micros != last && FirstTimelineEvent(events, i, end) is { } first)
            {
                if (micros < last)
                    throw new ArgumentException($"Events of subject {events[first].SubjectId} are not in time order (event {first}); MEDS sorts each subject by time.", nameof(events));
                var (interval, repeats) = _coder.Classify(micros - last);
                for (var r = 0; r < repeats; r++)
                    timeline.Add(_intervalIds[interval], micros);
            }
            if (canonical && end - i > 1)
            {
                var run = SortRun(events, i, end, timeline.TieScratch, open);
                foreach (var entry in run)
                    Write(events[entry.Index], entry, timeline, micros, ref previous);
            }
            else if (canonical)
            {
                var entry = Entry(events, i);
                Write(events[i], entry, timeline, micros, ref previous);
                Count(entry, open);
            }
            else
            {
                for (var k = i; k < end; k++)
                    Write(events[k], Entry(events, k), timeline, micros, ref previous);
            }
            i = end;
        }
        if (endTimeline && previous is { } lastTime)
            timeline.End(_endId, lastTime);
    }

    /// <summary>
    /// <paramref name="events"/> (one subject, MEDS order) as <see cref="Encode(IReadOnlyList{MedsEvent}, EncodedTimeline, bool)"/>
    /// reads them: the events of each timestamp in <see cref="TokenizerSettings.TieOrder"/> (static rows and the order
    /// of timestamps as given). What the model's tokens follow, for tests and for showing a timeline as the model reads it.
    /// </summary>
    public IReadOnlyList<MedsEvent> InTieOrder(IReadOnlyList<MedsEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        events = Placed(events);
        if (Settings.TieOrder != TieOrder.Canonical)
            return events;
        var ordered = new List<MedsEvent>(events.Count);
        var scratch = new List<TieEntry>();
        var open = new int[StayKinds];
        var i = 0;
        while (i < events.Count)
        {
            var end = events[i].Time is { } time ? RunEnd(events, i, time) : i + 1;
            if (end - i > 1)
            {
                foreach (var entry in SortRun(events, i, end, scratch, open))
                    ordered.Add(events[entry.Index]);
            }
            else
            {
                ordered.Add(events[i]);
                Count(Entry(events, i), open);
            }
            i = end;
        }
        return ordered;
    }

    /// <summary>The events with the tokenizer's placement rules applied: a date-only death placed as the labels place it,
    /// judged on the times MEDS gives (before any day-end code moves), then the day-end codes.</summary>
    private IReadOnlyList<MedsEvent> Placed(IReadOnlyList<MedsEvent> events) =>
        DayEndCodes.Apply(Settings.DayEndCodes, Settings.PlaceDateOnlyDeaths ? DateOnlyDeaths.Place(events) : events);

    private static int RunEnd(IReadOnlyList<MedsEvent> events, int start, DateTime time)
    {
        var end = start + 1;
        while (end < events.Count && events[end].Time == time)
            end++;
        return end;
    }

    // The first event of the run that writes tokens, or null for a run of static fields and births alone.
    private int? FirstTimelineEvent(IReadOnlyList<MedsEvent> events, int start, int end)
    {
        for (var k = start; k < end; k++)
        {
            if (!IsStaticField(events[k].Code))
                return k;
        }
        return null;
    }

    private bool IsStaticField(string code) => StaticFieldMap.IsBirth(code) || _statics.FieldOf(code) >= 0;

    // One event of a run: a static field or birth goes to the statics, anything else writes its tokens.
    private void Write(in MedsEvent ev, in TieEntry entry, EncodedTimeline timeline, long micros, ref long? previous)
    {
        if (entry.Plan is not { } plan)
        {
            IsStatic(ev, timeline.Statics);
            return;
        }
        previous = micros;
        timeline.CountCode(plan.Coverage);
        foreach (var id in plan.TokenIds)
            timeline.Add(id, micros);
        if (entry.Bin > 0)
            timeline.Add(_quantileIds[entry.Bin - 1], micros);
    }

    private TieEntry Entry(IReadOnlyList<MedsEvent> events, int index)
    {
        var ev = events[index];
        if (IsStaticField(ev.Code))
            return new TieEntry(index, null, 0, ev.Code, 0);
        var plan = _planner.Plan(ev.Code);
        var bin = plan.Quantiles is { HasBins: true } quantiles && ev.NumericValue is { } value ? quantiles.Bin(value) : 0;
        return new TieEntry(index, plan, bin, ev.Code, _tieRanks[plan.TokenIds[0]]);
    }

    /// <summary>Hospital, ICU and ED stays (<see cref="TieEntry.StayOf"/>).</summary>
    private const int StayKinds = 3;

    // The run's entries in canonical order, in scratch (reused, so encoding allocates nothing per subject). open: the
    // stays of each kind open before the run (opens minus closes so far), updated with the run's own.
    private ReadOnlySpan<TieEntry> SortRun(IReadOnlyList<MedsEvent> events, int start, int end, List<TieEntry> scratch, Span<int> open)
    {
        scratch.Clear();
        Span<bool> opens = stackalloc bool[StayKinds];
        for (var k = start; k < end; k++)
        {
            var entry = Entry(events, k);
            scratch.Add(entry);
            if (entry.Plan is { } plan && _stayOf[plan.TokenIds[0]] is > 0 and var kind)
                opens[kind - 1] = true;
        }
        var span = CollectionsMarshal.AsSpan(scratch);
        // A transfer: a close of a kind that was open before the run, in a run that opens that kind again.
        for (var k = 0; k < span.Length && Settings.TransfersCloseFirst; k++)
        {
            if (span[k].Plan is { } plan && _stayOf[plan.TokenIds[0]] is < 0 and var close && open[-close - 1] > 0 && opens[-close - 1])
                span[k] = span[k] with { Rank = TieEntry.TransferClose };
        }
        span.Sort(s_tieComparison);
        foreach (var entry in span)
            Count(entry, open);
        return span;
    }

    private void Count(in TieEntry entry, Span<int> open)
    {
        if (entry.Plan is not { } plan)
            return;
        var stay = _stayOf[plan.TokenIds[0]];
        if (stay > 0)
            open[stay - 1]++;
        else if (stay < 0 && open[-stay - 1] > 0)
            open[-stay - 1]--;
    }

    private static readonly Comparison<TieEntry> s_tieComparison = TieEntry.Compare;

    /// <summary>How much of <paramref name="code"/> the vocabulary knows, i.e. whether encoding writes it whole, backs off
    /// to an ancestor, or writes an unknown token.</summary>
    public CodeCoverage CoverageOf(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        return _planner.Plan(code).Coverage;
    }

    /// <summary>
    /// The static prefix for a window starting at <paramref name="timeMicros"/> (the time of the window's first token):
    /// each field's last value known then (<c>&lt;FIELD&gt;//UNKNOWN</c> when none) and the age as two digit tokens
    /// <c>Q{tens+1} Q{units+1}</c>, age capped at 99 and rounded to whole years (reference/ethos.md §1.2).
    /// </summary>
    public int[] PrefixAt(SubjectStatics statics, long timeMicros)
    {
        var prefix = new int[PrefixLength];
        PrefixAt(statics, timeMicros, prefix);
        return prefix;
    }

    /// <inheritdoc cref="PrefixAt(SubjectStatics, long)"/>
    public void PrefixAt(SubjectStatics statics, long timeMicros, Span<int> destination)
    {
        ArgumentNullException.ThrowIfNull(statics);
        var position = 0;
        var field = 0;
        foreach (var name in Settings.StaticFields)
        {
            if (name != TokenizerSettings.AgeField)
            {
                destination[position++] = statics.ValueAt(field, timeMicros, _unknownValueIds[field]);
                field++;
                continue;
            }
            if (statics.BirthMicros is not { } birth)
            {
                destination[position++] = Vocabulary.IdOf(Vocabulary.AgeUnknown);
                destination[position++] = Vocabulary.IdOf(Vocabulary.AgeUnknown);
                continue;
            }
            var (tens, units) = AgeDigits(timeMicros - birth);
            destination[position++] = _quantileIds[tens];
            destination[position++] = _quantileIds[units];
        }
    }

    /// <summary>
    /// Decodes timeline tokens into events. <paramref name="origin"/> is the time before the first token: the first
    /// event's time when the tokens start with an event, or the time of the last event before them. Each interval token
    /// advances the clock by its <see cref="IntervalEstimate.DecodeMicros"/>; a <c>Q</c> token gives the preceding
    /// quantized code its bin's value; <c>TIMELINE_END</c> stops decoding; a subtoken without its category is dropped.
    /// </summary>
    public IReadOnlyList<MedsEvent> Decode(ReadOnlySpan<int> tokens, long subjectId, DateTime origin) =>
        new TimelineDecoder(this, _table).Decode(tokens, subjectId, MicrosecondTime.From(origin));

    /// <summary>
    /// Whether <paramref name="id"/> is a hierarchy subtoken after the category (an ICD remainder or suffix): it
    /// continues the event its category token began and names no code by itself (<see cref="Decode"/> drops one that
    /// follows no category).
    /// </summary>
    public bool IsContinuation(int id) => _table.Kind(id) is TokenKind.HierarchyRemainder or TokenKind.HierarchySuffix;

    /// <summary>
    /// Whether <paramref name="id"/> is the category token of a split hierarchy family (<c>ICD10CM//I50</c>): the
    /// diagnosis group a code of that family begins with. The history block of a prompted context collects these
    /// (<see cref="PromptedContext.Build"/>); codes of unsplit families (ICD-9, procedures) are whole-code tokens, not categories.
    /// </summary>
    public bool IsCategory(int id) => _table.Kind(id) is TokenKind.HierarchyCategory;

    /// <summary>
    /// Splits timeline tokens into the events they write (<see cref="TimelineSegment"/>): each event's code token(s),
    /// its decile token and the interval token(s) before it, read as <see cref="Decode"/> reads them. Explanations
    /// group tokens into clinical facts with it.
    /// </summary>
    public IReadOnlyList<TimelineSegment> Segment(ReadOnlySpan<int> tokens) => new TimelineSegmenter(this, _table).Segment(tokens);

    /// <summary>
    /// Decodes a static prefix into static rows (one per known field value) and a <c>MEDS_BIRTH</c> at
    /// <paramref name="windowStart"/> minus the encoded age, which is exact to about a year.
    /// </summary>
    public IReadOnlyList<MedsEvent> DecodePrefix(ReadOnlySpan<int> prefix, long subjectId, DateTime windowStart)
    {
        var events = new List<MedsEvent>(PrefixLength);
        var position = 0;
        foreach (var name in Settings.StaticFields)
        {
            if (name != TokenizerSettings.AgeField)
            {
                var token = Vocabulary[prefix[position++]];
                if (!token.EndsWith(Vocabulary.UnknownValueSuffix, StringComparison.Ordinal))
                    events.Add(new MedsEvent(subjectId, null, token));
                continue;
            }
            int tens = prefix[position++], units = prefix[position++];
            if (_table.Kind(tens) != TokenKind.Quantile || _table.Kind(units) != TokenKind.Quantile)
                continue;
            var years = (10 * (_table.Argument(tens) - 1)) + _table.Argument(units) - 1;
            var birth = MicrosecondTime.From(windowStart) - (years * MicrosPerYear);
            events.Add(new MedsEvent(subjectId, MicrosecondTime.ToDateTime(birth), MedsSchema.BirthCode));
        }
        return events;
    }

    internal long DecodeMicros(int interval) => Intervals[interval].DecodeMicros;

    private bool IsStatic(in MedsEvent ev, SubjectStatics statics)
    {
        if (StaticFieldMap.IsBirth(ev.Code))
        {
            if (ev.Time is { } birth && statics.BirthMicros is null)
                statics.BirthMicros = MicrosecondTime.From(birth);
            return true;
        }
        var field = _statics.FieldOf(ev.Code);
        if (field < 0)
            return false;
        var known = ev.Time is { } time ? MicrosecondTime.From(time) : SubjectStatics.Always;
        statics.Add(field, known, Vocabulary.TryGetId(ev.Code, out var id) ? id : _unknownValueIds[field]);
        return true;
    }

    private static (int Tens, int Units) AgeDigits(long ageMicros)
    {
        var years = Math.Clamp((double)ageMicros / MicrosPerYear, 0, 99);
        var tens = (int)Math.Floor(years / 10);
        var units = (int)Math.Round(years - (10 * tens), MidpointRounding.AwayFromZero);
        return units == 10 ? (tens + 1, 0) : (tens, units);
    }
}
