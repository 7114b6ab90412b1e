using FhirRisk.Meds;
using FhirRisk.Tokenizer.Internal;

namespace FhirRisk.Tokenizer.Tests;

/// <summary>
/// The round-trip contract of the acceptance criteria, checked for one subject. "Preserves codes, order and times to
/// the interval resolution" means, for the subject's timeline events (timed rows other than MEDS_BIRTH and static
/// fields), with <c>decoded = Decode(Encode(subject))</c> started at the first event's time:
/// 1. the decoded codes equal the original codes in the same order (codes known to the vocabulary), the events of one
///    timestamp in the tokenizer's <see cref="TokenizerSettings.TieOrder"/>;
/// 2. each gap between consecutive events and the decoded gap map to the same interval token and repeat count: gaps
///    under 5 minutes decode to 0, every other gap to a duration inside the same interval bin;
/// 3. a quantized value decodes to a value in the same decile bin;
/// 4. re-encoding the decoded events gives the same tokens (a canonical tokenizer: the same within each cluster of events
///    less than the shortest interval apart, which decode to one timestamp and so re-encode in that timestamp's order);
/// 5. the decoded static prefix holds the subject's static values and a birth within a year of the real one.
/// </summary>
internal static class TimelineRoundTrip
{
    public static void Check(TimelineTokenizer tokenizer, MedsSubject subject)
    {
        var timeline = tokenizer.Encode(subject);
        var original = TimelineEvents(tokenizer, subject.Events);
        if (original.Count == 0)
        {
            Assert.Equal(0, timeline.Count);
            return;
        }
        var decoded = tokenizer.Decode(timeline.Tokens, subject.SubjectId, original[0].Time!.Value);

        Assert.Equal(original.Select(e => e.Code), decoded.Select(e => e.Code));
        var coder = new IntervalCoder(tokenizer.Settings.Intervals);
        for (var i = 0; i < original.Count; i++)
        {
            if (i > 0)
            {
                var gap = Micros(original[i].Time) - Micros(original[i - 1].Time);
                var decodedGap = Micros(decoded[i].Time) - Micros(decoded[i - 1].Time);
                Assert.True(coder.Classify(gap) == coder.Classify(decodedGap),
                    $"subject {subject.SubjectId} event {i}: gap {gap} µs decoded as {decodedGap} µs");
            }
            if (tokenizer.Quantiles.TryGetValue(original[i].Code, out var quantiles) && original[i].NumericValue is { } value && float.IsFinite(value))
                Assert.Equal(quantiles.Bin(value), quantiles.Bin(decoded[i].NumericValue!.Value));
        }

        var again = tokenizer.CreateBuffer();
        tokenizer.Encode([.. subject.Events.Where(e => !IsTimeline(tokenizer, e)), .. decoded], again);
        if (tokenizer.Settings.TieOrder == TieOrder.Input)
            Assert.Equal(timeline.Tokens.ToArray(), again.Tokens.ToArray());
        else
            Assert.Equal(Clusters(tokenizer, timeline.Tokens), Clusters(tokenizer, again.Tokens));

        CheckPrefix(tokenizer, subject, timeline, original[0].Time!.Value);
    }

    /// <summary>
    /// The tokens as clusters: the interval tokens that start each, then its events' tokens sorted. Events less than the
    /// shortest interval apart write no interval token between them, so they decode to one timestamp and a canonical
    /// tokenizer re-encodes them as one: the same events and tokens, perhaps in another order within the cluster.
    /// </summary>
    private static List<string> Clusters(TimelineTokenizer tokenizer, ReadOnlySpan<int> tokens)
    {
        var clusters = new List<string>();
        var events = new List<string>();
        foreach (var segment in tokenizer.Segment(tokens))
        {
            if (segment.HasTime)
            {
                clusters.Add(string.Join(' ', events.Order(StringComparer.Ordinal)));
                events.Clear();
                clusters.Add("interval " + string.Join(' ', tokens[segment.Start..segment.EventStart].ToArray()));
            }
            events.Add(string.Join(' ', tokens[segment.EventStart..segment.End].ToArray()));
        }
        clusters.Add(string.Join(' ', events.Order(StringComparer.Ordinal)));
        return clusters;
    }

    /// <summary>The events that become timeline tokens (everything but static fields, MEDS_BIRTH and untimed rows).</summary>
    public static List<MedsEvent> TimelineEvents(TimelineTokenizer tokenizer, IReadOnlyList<MedsEvent> events) =>
        tokenizer.InTieOrder(events).Where(e => IsTimeline(tokenizer, e)).ToList();

    private static bool IsTimeline(TimelineTokenizer tokenizer, MedsEvent e) =>
        e.Time is not null && e.Code != MedsSchema.BirthCode && !tokenizer.Settings.StaticFields.Contains(Vocabulary.VocabularyOf(e.Code));

    private static void CheckPrefix(TimelineTokenizer tokenizer, MedsSubject subject, EncodedTimeline timeline, DateTime start)
    {
        var prefix = tokenizer.PrefixAt(timeline.Statics, MicrosecondTime.From(start));
        var decoded = tokenizer.DecodePrefix(prefix, subject.SubjectId, start);
        var expectedStatics = subject.Events.Where(e => e.IsStatic && tokenizer.Settings.StaticFields.Contains(Vocabulary.VocabularyOf(e.Code)))
            .GroupBy(e => Vocabulary.VocabularyOf(e.Code)).Select(g => g.Last().Code).Order(StringComparer.Ordinal);
        Assert.Equal(expectedStatics, decoded.Where(e => e.IsStatic).Select(e => e.Code).Order(StringComparer.Ordinal));
        var birth = subject.Events.FirstOrDefault(e => e.Code == MedsSchema.BirthCode).Time;
        var decodedBirth = decoded.SingleOrDefault(e => e.Code == MedsSchema.BirthCode).Time;
        Assert.Equal(birth is null, decodedBirth is null);
        // Ages are clamped to 0..99 years, so a birth after the first event (Synthea writes some) or 99+ years back is not exact.
        if (birth is { } real && real <= start && (start - real).TotalDays < 99 * 365.2425)
            Assert.True(Math.Abs((decodedBirth!.Value - real).TotalDays) <= 366, $"birth {real:O} decoded as {decodedBirth:O}");
    }

    private static long Micros(DateTime? time) => MicrosecondTime.From(time!.Value);
}
