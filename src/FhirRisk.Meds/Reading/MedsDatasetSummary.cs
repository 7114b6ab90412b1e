using System.Runtime.InteropServices;

namespace FhirRisk.Meds;

/// <summary>Counts of one split: shards, subjects and events found, and subjects listed in <c>subject_splits.parquet</c>.</summary>
public sealed record MedsSplitSummary(string Split, int Shards, long Subjects, long Events, long ListedSubjects);

/// <summary>How many events carry a code.</summary>
public readonly record struct MedsCodeCount(string Code, long Events);

/// <summary>
/// Dataset-wide counts for <c>fhirrisk meds inspect</c>: subjects, events, codes, time range, per-split counts and the
/// most frequent codes. Computed in one streaming pass that reads only <c>subject_id</c>, <c>time</c> and <c>code</c>.
/// </summary>
public sealed record MedsDatasetSummary(
    long Subjects,
    long Events,
    long StaticEvents,
    int DistinctCodes,
    int CodesInMetadata,
    DateTime? FirstTime,
    DateTime? LastTime,
    IReadOnlyList<MedsSplitSummary> Splits,
    IReadOnlyList<MedsCodeCount> TopCodes)
{
    /// <summary>Scans <paramref name="dataset"/>; <paramref name="topCodes"/> bounds <see cref="TopCodes"/> (ties by code, A→Z).</summary>
    public static MedsDatasetSummary Compute(MedsDatasetReader dataset, int topCodes = 10)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfNegative(topCodes);
        var codeCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        var splits = new List<MedsSplitSummary>();
        long staticEvents = 0;
        DateTime? first = null, last = null;
        var subjectsSeen = new HashSet<long>();
        const MedsEventColumns columns = MedsEventColumns.Time | MedsEventColumns.Code;

        foreach (var split in dataset.SplitNames.Append("").Distinct())
        {
            var shards = dataset.ShardsOf(split);
            long subjects = 0, events = 0;
            foreach (var ev in shards.SelectMany(shard => dataset.ReadShard(shard, columns)))
            {
                if (subjectsSeen.Add(ev.SubjectId))
                    subjects++;
                events++;
                CollectionsMarshal.GetValueRefOrAddDefault(codeCounts, ev.Code, out _)++;
                if (ev.Time is not { } time)
                {
                    staticEvents++;
                    continue;
                }
                first = first is null || time < first ? time : first;
                last = last is null || time > last ? time : last;
            }
            var listed = dataset.SubjectSplits.Values.LongCount(s => s == split);
            if (split.Length > 0 || shards.Count > 0)
                splits.Add(new MedsSplitSummary(split, shards.Count, subjects, events, listed));
        }

        return new MedsDatasetSummary(
            subjectsSeen.Count,
            splits.Sum(s => s.Events),
            staticEvents,
            codeCounts.Count,
            dataset.ReadCodes().Select(c => c.Code).Distinct(StringComparer.Ordinal).Count(),
            first,
            last,
            splits,
            codeCounts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
                .Take(topCodes).Select(c => new MedsCodeCount(c.Key, c.Value)).ToArray());
    }
}
