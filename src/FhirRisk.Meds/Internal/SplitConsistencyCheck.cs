using FhirRisk.Core;

namespace FhirRisk.Meds.Internal;

/// <summary>
/// Cross-checks <c>subject_splits.parquet</c> with the shards: every subject listed once, every subject in the shards
/// listed, in the folder of its split; splits with no shards (MIMIC-IV demo ships no train shard) are only warned about.
/// </summary>
internal sealed class SplitConsistencyCheck(IssueCollector issues)
{
    public void Run(ShardChecker shards, List<SubjectSplitsTable.Entry> entries, IReadOnlyList<MedsShard> allShards)
    {
        var splitOf = new Dictionary<long, string>(entries.Count);
        foreach (var entry in entries)
        {
            if (!splitOf.TryAdd(entry.SubjectId, entry.Split))
                issues.Add(Issue.Error(MedsIssueCodes.DuplicateSplitEntry, $"{MedsSchema.SubjectSplitsFile}:row {entry.Row}",
                    $"Subject {entry.SubjectId} is listed again (first as '{splitOf[entry.SubjectId]}', now as '{entry.Split}')."));
        }

        foreach (var (subjectId, (shardIndex, row)) in shards.Subjects)
        {
            var shard = shards.Shards[shardIndex];
            var path = $"{shard.RelativePath}:row {row}";
            if (!splitOf.TryGetValue(subjectId, out var split))
                issues.Add(Issue.Error(MedsIssueCodes.SubjectNotInSplits, path, $"Subject {subjectId} is not listed in {MedsSchema.SubjectSplitsFile}."));
            else if (shard.Split.Length > 0 && shard.Split != split)
                issues.Add(Issue.Error(MedsIssueCodes.SubjectInWrongSplitFolder, path,
                    $"Subject {subjectId} is in data/{shard.Split}/ but {MedsSchema.SubjectSplitsFile} puts it in '{split}'."));
        }

        var splitsWithShards = allShards.Select(s => s.Split).ToHashSet(StringComparer.Ordinal);
        var hasUnfoldered = splitsWithShards.Contains("");
        foreach (var group in entries.GroupBy(e => e.Split).OrderBy(g => g.Key, Comparer<string>.Create(MedsSchema.CompareSplits)))
        {
            if (!splitsWithShards.Contains(group.Key) && !hasUnfoldered)
            {
                issues.Add(Issue.Warning(MedsIssueCodes.SplitWithoutShards, $"{MedsSchema.DataFolder}/{group.Key}",
                    $"Split '{group.Key}' lists {group.Count()} subjects but has no shards."));
                continue;
            }
            foreach (var entry in group)
            {
                if (!shards.Subjects.ContainsKey(entry.SubjectId))
                    issues.Add(Issue.Warning(MedsIssueCodes.ListedSubjectWithoutEvents, $"{MedsSchema.SubjectSplitsFile}:row {entry.Row}",
                        $"Subject {entry.SubjectId} is listed in '{entry.Split}' but has no events."));
            }
        }
    }
}
