using FhirRisk.Meds;
using FhirRisk.Tokenizer;

namespace FhirRisk.Training.Tests.Pretraining;

/// <summary>
/// Small token folders for pretraining tests: MEDS subjects written with <see cref="MedsDatasetWriter"/>, a tokenizer
/// fitted on their train split, and the shards of <c>fhirrisk tokenize</c>. Each subject repeats a short cycle of codes
/// an hour apart, so a model can learn the timelines within a few dozen steps.
/// </summary>
internal static class TokenData
{
    private static readonly DateTime Start = new(2020, 1, 1, 8, 0, 0, DateTimeKind.Utc);

    /// <summary>Writes <c>meds/</c>, <c>tokenizer/</c> and <c>tokens/</c> under <paramref name="root"/>.</summary>
    /// <param name="root">An empty folder.</param>
    /// <param name="train">Events per train subject (one subject each); 0 writes a subject with static rows only.</param>
    /// <param name="tuning">Events per tuning subject; empty writes no tuning split.</param>
    /// <param name="codes">The cycle of codes every subject repeats.</param>
    public static (TimelineTokenizer Tokenizer, string Tokens) Write(string root, int[] train, int[] tuning, string[]? codes = null)
    {
        codes ??= ["LAB//A", "LAB//B", "LAB//C", "LAB//D", "LAB//E"];
        var meds = Path.Combine(root, "meds");
        using (var writer = new MedsDatasetWriter(meds))
        {
            var id = 1L;
            foreach (var (lengths, split) in new[] { (train, MedsSchema.TrainSplit), (tuning, MedsSchema.TuningSplit) })
            {
                foreach (var events in lengths)
                {
                    writer.WriteSubject(id, Subject(id, events, codes), split);
                    id++;
                }
            }
            writer.Complete();
        }
        var dataset = MedsDatasetReader.Open(meds);
        var tokenizer = TimelineTokenizer.Fit(dataset);
        tokenizer.Save(Path.Combine(root, "tokenizer"));
        var tokens = Path.Combine(root, "tokens");
        DatasetTokenization.Run(tokenizer, dataset, tokens);
        return (tokenizer, tokens);
    }

    /// <summary>Twelve train subjects of 3 to 72 events (one with none, one shorter than a 16-token window) and three tuning subjects.</summary>
    public static (TimelineTokenizer Tokenizer, string Tokens) Cycle(string root) =>
        Write(root, [40, 3, 0, 72, 25, 50, 12, 33, 64, 18, 45, 28], [30, 22, 41]);

    private static IEnumerable<MedsEvent> Subject(long id, int events, string[] codes)
    {
        yield return new MedsEvent(id, null, id % 2 == 0 ? "GENDER//F" : "GENDER//M");
        yield return new MedsEvent(id, Start.AddYears(-30 - (int)id), MedsSchema.BirthCode);
        for (var e = 0; e < events; e++)
            yield return new MedsEvent(id, Start.AddDays(id).AddHours(e), codes[(e + id) % codes.Length]);
    }
}
