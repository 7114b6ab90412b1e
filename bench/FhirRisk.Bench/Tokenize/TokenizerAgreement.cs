using System.Globalization;
using FhirRisk.Tokenizer;

namespace FhirRisk.Bench.Tokenize;

/// <summary>
/// Proves the two sides did the same work: the same vocabulary (tokens, order, counts), the same deciles (breaks, bin
/// values and counts), the same interval estimates, and per shard the same token stream and static facts.
/// </summary>
internal static class TokenizerAgreement
{
    private const int MaxReported = 5;

    public static IReadOnlyList<string> Compare(
        TimelineTokenizer ours, PeerFit peer, IReadOnlyDictionary<string, TokenStreamChecksum> ourShards, IReadOnlyDictionary<string, TokenStreamChecksum> peerShards)
    {
        var errors = new List<string>();
        if (ours.FittedOn.Subjects != peer.Subjects || ours.FittedOn.Events != peer.Events)
            errors.Add(Invariant($"Fitted on {ours.FittedOn.Subjects:N0} subjects / {ours.FittedOn.Events:N0} events; DuckDB on {peer.Subjects:N0} / {peer.Events:N0}."));
        CompareVocabulary(ours.Vocabulary, peer.Vocabulary, errors);
        CompareQuantiles(ours.Quantiles, peer.Quantiles, errors);
        CompareIntervals(ours.Intervals, peer.Intervals, errors);
        foreach (var (name, checksum) in ourShards)
        {
            if (!peerShards.TryGetValue(name, out var theirs))
                errors.Add($"DuckDB did not encode shard {name}.");
            else if (checksum != theirs)
                errors.Add($"Shard {name}: FhirRisk {checksum} but DuckDB {theirs}.");
        }
        return errors.Count <= MaxReported ? errors : [.. errors.Take(MaxReported), Invariant($"… and {errors.Count - MaxReported} more differences.")];
    }

    private static void CompareVocabulary(Vocabulary ours, IReadOnlyList<(string Token, long Count)> peer, List<string> errors)
    {
        if (ours.Count != peer.Count)
            errors.Add(Invariant($"Vocabulary sizes differ: FhirRisk {ours.Count:N0}, DuckDB {peer.Count:N0}."));
        for (var id = 0; id < Math.Min(ours.Count, peer.Count); id++)
        {
            if (ours[id] != peer[id].Token || ours.Counts[id] != peer[id].Count)
                errors.Add(Invariant($"Vocabulary id {id}: FhirRisk '{ours[id]}' ({ours.Counts[id]}), DuckDB '{peer[id].Token}' ({peer[id].Count})."));
        }
    }

    private static void CompareQuantiles(IReadOnlyDictionary<string, CodeQuantiles> ours, IReadOnlyList<PeerQuantiles> peer, List<string> errors)
    {
        if (ours.Count != peer.Count)
            errors.Add(Invariant($"Quantized codes: FhirRisk {ours.Count}, DuckDB {peer.Count}."));
        foreach (var theirs in peer)
        {
            if (!ours.TryGetValue(theirs.Code, out var mine))
                errors.Add($"DuckDB quantized {theirs.Code}; FhirRisk did not.");
            else if (mine.Values != theirs.Values || !mine.Breaks.SequenceEqual(theirs.Breaks)
                || !mine.BinValues.SequenceEqual(theirs.BinValues) || !mine.BinCounts.SequenceEqual(theirs.BinCounts))
                errors.Add(Invariant($"Deciles of {theirs.Code}: FhirRisk breaks [{string.Join(", ", mine.Breaks)}], DuckDB [{string.Join(", ", theirs.Breaks)}]."));
        }
    }

    private static void CompareIntervals(IReadOnlyList<IntervalEstimate> ours, IReadOnlyList<PeerInterval> peer, List<string> errors)
    {
        var theirs = peer.ToDictionary(i => i.Index);
        for (var i = 0; i < ours.Count; i++)
        {
            var mine = ours[i];
            var other = theirs.GetValueOrDefault(i);
            var same = other is null
                ? mine.Count == 0
                : mine.Count == other.Count && mine.MinMicros == other.MinMicros && mine.MeanMicros == other.MeanMicros && mine.MaxMicros == other.MaxMicros;
            if (!same)
                errors.Add(Invariant($"Interval {mine.Token}: FhirRisk {mine.Count} (min {mine.MinMicros}, mean {mine.MeanMicros}, max {mine.MaxMicros}), DuckDB {other}."));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
