using FhirRisk.Meds;
using FhirRisk.Tokenizer;

namespace FhirRisk.Synthetic.Generation;

/// <summary>A static prefix to generate a timeline from, and the date the timeline starts at.</summary>
/// <param name="Prefix">The P static-prefix tokens (sex, age digits, race, ethnicity …).</param>
/// <param name="Start">The time of the first generated token.</param>
internal sealed record StaticPrompt(int[] Prefix, DateTime Start);

/// <summary>
/// Where static prefixes come from (docs/generate.md "Prompts"). From a MEDS dataset: a train patient drawn uniformly
/// with replacement gives its prefix at its first timeline token and that token's time, so sex, age, race and the
/// calendar keep their joint distribution (CEHR-GPT and ETHOS' synthetic path prompt with real patients' demographics,
/// peers.md §2.3, ethos.md §5). Without a dataset: each static field is drawn on its own from the tokenizer's fitted
/// static-token counts (subjects per value), the age uniformly from 18 to 89 years (the tokenizer keeps no age
/// distribution), the start uniformly in 2020.
/// </summary>
internal static class StaticPrompts
{
    private static readonly DateTime s_defaultYear = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static IReadOnlyList<StaticPrompt> Draw(TimelineTokenizer tokenizer, string? dataset, int count, Random random)
    {
        if (tokenizer.PrefixLength == 0)
            throw new InvalidOperationException("The tokenizer has no static fields, so there is no static prefix to generate from. Hint: generate from a model whose tokenizer has static fields (the default GENDER, AGE, RACE, ETHNICITY).");
        if (dataset is null)
            return [.. Enumerable.Range(0, count).Select(_ => FromFrequencies(tokenizer, random))];
        var pool = FromDataset(tokenizer, dataset);
        if (pool.Count == 0)
            throw new InvalidDataException($"The dataset at {dataset} has no train patient with a timed event to take a static prefix from. Hint: pass the model's training data (its train split).");
        return [.. Enumerable.Range(0, count).Select(_ => pool[random.Next(pool.Count)])];
    }

    private static List<StaticPrompt> FromDataset(TimelineTokenizer tokenizer, string dataset)
    {
        var reader = MedsDatasetReader.Open(dataset);
        var pool = new List<StaticPrompt>();
        var timeline = tokenizer.CreateBuffer();
        var options = new MedsReadOptions { Splits = [MedsSchema.TrainSplit] };
        foreach (var subject in reader.ReadSubjects(options))
        {
            tokenizer.Encode(subject.Events, timeline, endTimeline: false);
            if (timeline.Count == 0)
                continue;
            var start = timeline.Times[0];
            pool.Add(new StaticPrompt(tokenizer.PrefixAt(timeline.Statics, start), DateTime.UnixEpoch.AddTicks(start * TimeSpan.TicksPerMicrosecond)));
        }
        return pool;
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
        return new StaticPrompt([.. prefix], s_defaultYear.AddDays(random.NextDouble() * 365));
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
