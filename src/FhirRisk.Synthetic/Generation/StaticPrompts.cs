using FhirRisk.Meds;
using FhirRisk.Tokenizer;

namespace FhirRisk.Synthetic.Generation;

/// <summary>A static prefix to generate a timeline from, the date the timeline starts at, and where in its encoded
/// year of age the patient's birth falls.</summary>
/// <param name="Prefix">The P static-prefix tokens (sex, age digits, race, ethnicity …).</param>
/// <param name="Start">The time of the first generated token: a donor's start blurred within its calendar quarter.</param>
/// <param name="AgeDraw">A uniform draw in [0, 1) that places the age within the years the encoded age allows
/// (<see cref="GeneratedTimeline"/>).</param>
internal sealed record StaticPrompt(int[] Prefix, DateTime Start, double AgeDraw);

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

    /// <exception cref="TokenizationException">More of the dataset's train events have unknown codes than
    /// <paramref name="maxUnknownShare"/> allows (TOK001).</exception>
    public static IReadOnlyList<StaticPrompt> Draw(TimelineTokenizer tokenizer, string? dataset, int count, Random random, double? maxUnknownShare = null)
    {
        if (tokenizer.PrefixLength == 0)
            throw new InvalidOperationException("The tokenizer has no static fields, so there is no static prefix to generate from. Hint: generate from a model whose tokenizer has static fields (the default GENDER, AGE, RACE, ETHNICITY).");
        if (dataset is null)
            return [.. Enumerable.Range(0, count).Select(_ => FromFrequencies(tokenizer, random))];
        var (pool, coverage) = Donors(tokenizer, dataset);
        // As 'fhirrisk tokenize' refuses it: the data of another kind of record than the model's (CLI review s10).
        coverage.CheckUnknownShare(maxUnknownShare, dataset);
        if (pool.Count == 0)
            throw new InvalidDataException($"The dataset at {dataset} has no train patient with a timed event to take a static prefix from. Hint: pass the model's training data (its train split).");
        var prompts = new StaticPrompt[count];
        for (var i = 0; i < count; i++)
        {
            var donor = pool[random.Next(pool.Count)];
            prompts[i] = new StaticPrompt(donor.Prefix, WithinQuarter(donor.Start, random), random.NextDouble());
        }
        return prompts;
    }

    /// <summary>A time drawn uniformly (to the second) in the calendar quarter of <paramref name="time"/>.</summary>
    internal static DateTime WithinQuarter(DateTime time, Random random)
    {
        var quarter = new DateTime(time.Year, ((time.Month - 1) / 3 * 3) + 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var seconds = (long)(quarter.AddMonths(3) - quarter).TotalSeconds;
        return quarter.AddSeconds(random.NextInt64(seconds));
    }

    /// <summary>Each train patient with a timed event: its prefix at its first timeline token, and that token's exact time;
    /// and the vocabulary's coverage of the train patients' events.</summary>
    internal static (List<StaticPrompt> Pool, CodeCoverageCounts Coverage) Donors(TimelineTokenizer tokenizer, string dataset)
    {
        var coverage = default(CodeCoverageCounts);
        var reader = MedsDatasetReader.Open(dataset);
        var pool = new List<StaticPrompt>();
        var timeline = tokenizer.CreateBuffer();
        var options = new MedsReadOptions { Splits = [MedsSchema.TrainSplit] };
        foreach (var subject in reader.ReadSubjects(options))
        {
            tokenizer.Encode(subject.Events, timeline, endTimeline: false);
            coverage += timeline.Coverage;
            if (timeline.Count == 0)
                continue;
            var start = timeline.Times[0];
            pool.Add(new StaticPrompt(tokenizer.PrefixAt(timeline.Statics, start), DateTime.UnixEpoch.AddTicks(start * TimeSpan.TicksPerMicrosecond), 0));
        }
        return (pool, coverage);
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
