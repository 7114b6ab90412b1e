using FhirRisk.Meds;
using FhirRisk.Synthetic.Generation.Reports;
using FhirRisk.Tokenizer;

namespace FhirRisk.Synthetic.Generation;

/// <summary>A static prefix to generate a timeline from, the date the timeline starts at, and where in its encoded
/// year of age the patient's birth falls.</summary>
/// <param name="Prefix">The P static-prefix tokens (sex, age digits, race, ethnicity …).</param>
/// <param name="Start">The time of the first generated token: a donor's start blurred within its calendar quarter.</param>
/// <param name="AgeDraw">A uniform draw in [0, 1) that places the age within the years the encoded age allows
/// (<see cref="GeneratedTimeline"/>).</param>
internal sealed record StaticPrompt(int[] Prefix, DateTime Start, double AgeDraw);

/// <summary>What <see cref="StaticPrompts.Donors"/> found in a dataset's train split.</summary>
/// <param name="Pool">The donors: each train patient with a timed event that starts early enough.</param>
/// <param name="Coverage">The vocabulary's coverage of the train patients' events.</param>
/// <param name="TrainingData">The dataset's fit splits against the tokenizer's fit.</param>
/// <param name="TooLate">Train patients left out of the pool: their start quarter leaves less than the time limit before
/// the end of year 9999.</param>
internal sealed record DonorPool(List<StaticPrompt> Pool, CodeCoverageCounts Coverage, TrainingDataCheck TrainingData, int TooLate);

/// <summary>
/// Where static prefixes come from (docs/generate.md "Prompts"). From a MEDS dataset: a train patient drawn uniformly
/// with replacement (the donor) gives its prefix at its first timeline token, so sex, age, race and the calendar keep
/// their joint distribution (CEHR-GPT and ETHOS' synthetic path prompt with real patients' demographics, peers.md §2.3,
/// ethos.md §5). The donor's start time is kept only to its calendar quarter, the rest drawn uniformly: an exact
/// first-event time is close to unique in a hospital extract and would point back to the donor. Without a dataset: each static field is drawn on its own from the tokenizer's fitted
/// static-token counts (subjects per value), the age uniformly from 18 to 89 years (the tokenizer keeps no age
/// distribution), the start uniformly in 2020.
/// </summary>
internal static class StaticPrompts
{
    private static readonly DateTime s_defaultYear = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Prompts for <paramref name="count"/> patients, and what reading the dataset's train split found (null
    /// without a dataset).</summary>
    /// <param name="timeLimit">The generated time a timeline may span (<see cref="GenerationSettings.TimeLimit"/>): a
    /// donor whose start quarter leaves less than that before the end of year 9999 is not drawn.</param>
    /// <exception cref="TokenizationException">More of the dataset's train events have unknown codes than
    /// <paramref name="maxUnknownShare"/> allows (TOK001).</exception>
    /// <exception cref="InvalidDataException">A train subject's events are not in time order, or no train patient can
    /// be a donor.</exception>
    public static (IReadOnlyList<StaticPrompt> Prompts, DonorPool? Donors) Draw(TimelineTokenizer tokenizer, string? dataset, int count, Random random,
        TimeSpan timeLimit, double? maxUnknownShare = null)
    {
        if (tokenizer.PrefixLength == 0)
            throw new InvalidOperationException("The tokenizer has no static fields, so there is no static prefix to generate from. Hint: generate from a model whose tokenizer has static fields (the default GENDER, AGE, RACE, ETHNICITY).");
        if (dataset is null)
            return ([.. Enumerable.Range(0, count).Select(_ => FromFrequencies(tokenizer, random))], null);
        var donors = Donors(tokenizer, dataset, timeLimit);
        // As 'fhirrisk tokenize' refuses it: the data of another kind of record than the model's (CLI review s10).
        donors.Coverage.CheckUnknownShare(maxUnknownShare, dataset);
        if (donors.Pool.Count == 0)
            throw new InvalidDataException(donors.TooLate > 0
                ? $"The dataset at {dataset} has no train patient who starts early enough to be a donor: the {donors.TooLate} with a timed event start too late for {timeLimit.TotalDays / 365.25:0.#} years of generated time before the end of year 9999. Hint: pass the model's training data (its train split)."
                : $"The dataset at {dataset} has no train patient with a timed event to take a static prefix from. Hint: pass the model's training data (its train split).");
        var prompts = new StaticPrompt[count];
        for (var i = 0; i < count; i++)
        {
            var donor = donors.Pool[random.Next(donors.Pool.Count)];
            prompts[i] = new StaticPrompt(donor.Prefix, WithinQuarter(donor.Start, random), random.NextDouble());
        }
        return (prompts, donors);
    }

    /// <summary>A time drawn uniformly (to the second) in the calendar quarter of <paramref name="time"/>.</summary>
    internal static DateTime WithinQuarter(DateTime time, Random random)
    {
        var (quarter, ticks) = QuarterOf(time);
        return quarter.AddSeconds(random.NextInt64(ticks / TimeSpan.TicksPerSecond));
    }

    /// <summary>Whether every start <see cref="WithinQuarter"/> can draw for <paramref name="time"/>, plus
    /// <paramref name="timeLimit"/> of generated time, is a <see cref="DateTime"/>: year 9999 is valid MEDS (MEDS027),
    /// and ingestion maps a legacy "9999" date to its last instant, but a timeline cannot run past it (review s22
    /// generate L5).</summary>
    internal static bool LeavesRoomFor(DateTime time, TimeSpan timeLimit)
    {
        var (quarter, ticks) = QuarterOf(time);
        return timeLimit.Ticks <= DateTime.MaxValue.Ticks + 1 - (quarter.Ticks + ticks);
    }

    // The first instant of the calendar quarter of time, and the quarter's length. The last quarter of 9999 ends one
    // tick after DateTime.MaxValue, which AddMonths cannot reach.
    private static (DateTime Start, long Ticks) QuarterOf(DateTime time)
    {
        var quarter = new DateTime(time.Year, ((time.Month - 1) / 3 * 3) + 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var end = quarter.Year == DateTime.MaxValue.Year && quarter.Month == 10 ? DateTime.MaxValue.Ticks + 1 : quarter.AddMonths(3).Ticks;
        return (quarter, end - quarter.Ticks);
    }

    /// <summary>
    /// Reads the dataset's train split and the tokenizer's other fit splits (normally none) once: each train patient
    /// with a timed event whose start leaves room for <paramref name="timeLimit"/> becomes a donor (its prefix at its
    /// first timeline token, and that token's exact time); the vocabulary's coverage of the train events; and the fit
    /// splits' subjects and event rows against the tokenizer's <see cref="TimelineTokenizer.FittedOn"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">A train subject's events are not in time order (MEDS015).</exception>
    internal static DonorPool Donors(TimelineTokenizer tokenizer, string dataset, TimeSpan timeLimit)
    {
        var coverage = default(CodeCoverageCounts);
        var reader = MedsDatasetReader.Open(dataset);
        var pool = new List<StaticPrompt>();
        var tooLate = 0;
        var (subjects, events) = (0L, 0L);
        var fitted = tokenizer.FittedOn;
        var timeline = tokenizer.CreateBuffer();
        var options = new MedsReadOptions { Splits = [.. fitted.Splits.Append(MedsSchema.TrainSplit).Distinct(StringComparer.Ordinal)] };
        foreach (var subject in reader.ReadSubjects(options))
        {
            if (fitted.Splits.Contains(subject.Split))
                (subjects, events) = (subjects + 1, events + subject.Events.Count);
            if (subject.Split != MedsSchema.TrainSplit)
                continue;
            Encode(tokenizer, subject.Events, timeline, dataset);
            coverage += timeline.Coverage;
            if (timeline.Count == 0)
                continue;
            var start = DateTime.UnixEpoch.AddTicks(timeline.Times[0] * TimeSpan.TicksPerMicrosecond);
            if (!LeavesRoomFor(start, timeLimit))
            {
                tooLate++;
                continue;
            }
            pool.Add(new StaticPrompt(tokenizer.PrefixAt(timeline.Statics, timeline.Times[0]), start, 0));
        }
        return new DonorPool(pool, coverage, new TrainingDataCheck(fitted.Splits, subjects, events, fitted.Subjects, fitted.Events), tooLate);
    }

    /// <summary>
    /// Encodes a donor. The tokenizer refuses a subject whose times go back with an <see cref="ArgumentException"/>
    /// that names the subject; generation promises to log nothing about a patient (docs/generate.md), so the error
    /// is rethrown naming the dataset and split only, without the original as its inner exception (review s22
    /// generate M2).
    /// </summary>
    private static void Encode(TimelineTokenizer tokenizer, IReadOnlyList<MedsEvent> events, EncodedTimeline timeline, string dataset)
    {
        try
        {
            tokenizer.Encode(events, timeline, endTimeline: false);
        }
        catch (ArgumentException e) when (e.ParamName == nameof(events))
        {
            throw new InvalidDataException($"The dataset at {dataset} has a subject in its {MedsSchema.TrainSplit} split whose events are not in time order (MEDS015); MEDS sorts each subject's rows by time. Hint: run 'fhirrisk meds validate {dataset}' to find it, and fix the data's export.");
        }
    }

    private static StaticPrompt FromFrequencies(TimelineTokenizer tokenizer, Random random)
    {
        var vocabulary = tokenizer.Vocabulary;
        var prefix = new List<int>(tokenizer.PrefixLength);
        foreach (var field in tokenizer.Settings.StaticFields)
        {
            if (field == TokenizerSettings.AgeField)
            {
                var age = random.Next(18, 90);
                prefix.Add(vocabulary.IdOf(Vocabulary.QuantileToken(age / 10 + 1)));
                prefix.Add(vocabulary.IdOf(Vocabulary.QuantileToken(age % 10 + 1)));
                continue;
            }
            var values = Enumerable.Range(0, vocabulary.Count)
                .Where(id => Vocabulary.VocabularyOf(vocabulary[id]) == field && !vocabulary[id].StartsWith(Vocabulary.UnknownPrefix, StringComparison.Ordinal))
                .ToArray();
            prefix.Add(Weighted(values, id => Math.Max(0, vocabulary.Counts[id]), random) ?? vocabulary.IdOf(field + Vocabulary.UnknownValueSuffix));
        }
        return new StaticPrompt([.. prefix], s_defaultYear.AddSeconds(random.NextInt64(365L * 86_400)), random.NextDouble());
    }

    private static int? Weighted(int[] ids, Func<int, long> weight, Random random)
    {
        var total = ids.Sum(id => (double)weight(id));
        if (total <= 0)
            return null;
        var target = random.NextDouble() * total;
        foreach (var id in ids)
        {
            target -= weight(id);
            if (target < 0)
                return id;
        }
        return ids[^1];
    }
}
