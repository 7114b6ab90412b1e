using FhirRisk.Core;
using FhirRisk.Meds.Internal;
using FhirRisk.Parquet;

namespace FhirRisk.Meds;

/// <summary>
/// Checks a dataset folder against MEDS v0.4 (peers.md §5) and lists every problem as an <see cref="Issue"/> with a
/// stable code from <see cref="MedsIssueCodes"/> and a path such as <c>data/train/0.parquet:row 17</c> (rows are
/// zero-based within the file). A dataset is valid when no issue is an error.
/// </summary>
public static class MedsValidator
{
    public static IReadOnlyList<Issue> Validate(string root, MedsValidationOptions? options = null) => Check(root, options).Issues;

    /// <summary>Like <see cref="Validate"/>, plus how many issues of each code were found before the per-code cap.</summary>
    public static MedsValidationReport Check(string root, MedsValidationOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        options ??= MedsValidationOptions.Default;
        var issues = new IssueCollector(options.MaxIssuesPerCode);
        if (!Directory.Exists(root))
        {
            issues.Add(Issue.Error(MedsIssueCodes.NoDataShards, root, "The dataset folder does not exist."));
            return Report(issues);
        }
        root = Path.GetFullPath(root);

        CheckDatasetJson(root, issues);
        var splits = ReadMetadataTable(root, MedsSchema.SubjectSplitsFile, issues,
            (full, list) => SubjectSplitsTable.Read(full, MedsSchema.SubjectSplitsFile, list, options.ParquetOptions));
        var codes = ReadMetadataTable(root, MedsSchema.CodesFile, issues,
            (full, list) => CodesTable.Read(full, MedsSchema.CodesFile, list, options.ParquetOptions));
        var shards = CheckShards(root, issues, options);

        if (codes is not null)
            CheckCodesListed(shards, codes, issues, options.Strict);
        if (splits is not null)
            new SplitConsistencyCheck(issues).Run(shards, splits, ShardDiscovery.Find(root));
        return Report(issues);
    }

    private static MedsValidationReport Report(IssueCollector issues)
    {
        var totals = issues.Totals();
        return new MedsValidationReport(issues.Finish(), totals);
    }

    /// <summary>True when <paramref name="issues"/> holds no error.</summary>
    public static bool IsValid(IReadOnlyList<Issue> issues) => issues.All(i => i.Severity != IssueSeverity.Error);

    private static void CheckDatasetJson(string root, IssueCollector issues)
    {
        var path = Path.Combine(root, MedsSchema.DatasetMetadataFile);
        if (!File.Exists(path))
        {
            issues.Add(Issue.Error(MedsIssueCodes.MetadataFileMissing, MedsSchema.DatasetMetadataFile, "metadata/dataset.json is missing."));
            return;
        }
        var found = new List<Issue>();
        var metadata = MedsDatasetMetadata.Parse(File.ReadAllText(path), MedsSchema.DatasetMetadataFile, found);
        issues.AddRange(found);
        if (metadata is null)
            return;
        // 0.4 and its patch releases ("0.4.0") share one schema; other versions read, with known differences (peers.md §5.2).
        var version = metadata.MedsVersion;
        if (version is null)
            issues.Add(Issue.Warning(MedsIssueCodes.MedsVersionMismatch, $"{MedsSchema.DatasetMetadataFile}:meds_version", "meds_version is not set; assuming 0.4."));
        else if (version != MedsSchema.MedsVersion && !version.StartsWith(MedsSchema.MedsVersion + ".", StringComparison.Ordinal))
            issues.Add(Issue.Warning(MedsIssueCodes.MedsVersionMismatch, $"{MedsSchema.DatasetMetadataFile}:meds_version",
                $"meds_version is {version}; this validator checks against {MedsSchema.MedsVersion}."));
    }

    private static T? ReadMetadataTable<T>(string root, string relative, IssueCollector issues, Func<string, List<Issue>, T> read)
        where T : class
    {
        var path = Path.Combine(root, relative);
        if (!File.Exists(path))
        {
            issues.Add(Issue.Error(MedsIssueCodes.MetadataFileMissing, relative, $"{relative} is missing."));
            return null;
        }
        var found = new List<Issue>();
        try
        {
            var table = read(path, found);
            issues.AddRange(found);
            return found.Any(i => i.Code is MedsIssueCodes.RequiredColumnMissing or MedsIssueCodes.ColumnWrongType) ? null : table;
        }
        catch (ParquetException e)
        {
            issues.Add(Issue.Error(MedsIssueCodes.UnreadableParquet, relative, e.Message));
            return null;
        }
    }

    private static ShardChecker CheckShards(string root, IssueCollector issues, MedsValidationOptions options)
    {
        var checker = new ShardChecker(issues, options.ParquetOptions);
        var shards = ShardDiscovery.Find(root);
        if (shards.Count == 0)
            issues.Add(Issue.Error(MedsIssueCodes.NoDataShards, MedsSchema.DataFolder, "No .parquet shard under data/."));
        foreach (var shard in shards)
        {
            if (shard.Split.Length == 0)
                issues.Add(Issue.Warning(MedsIssueCodes.ShardOutsideSplitFolder, shard.RelativePath,
                    "The shard lies directly in data/; put it in data/<split>/ so its split is known."));
            try
            {
                checker.Check(shard);
            }
            catch (ParquetException e)
            {
                issues.Add(Issue.Error(MedsIssueCodes.UnreadableParquet, shard.RelativePath, e.Message));
            }
        }
        return checker;
    }

    private static void CheckCodesListed(ShardChecker shards, List<MedsCodeMetadata> codes, IssueCollector issues, bool strict)
    {
        var listed = new HashSet<string>(codes.Select(c => c.Code), StringComparer.Ordinal);
        foreach (var (code, path) in shards.Codes.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            if (listed.Contains(code))
                continue;
            var message = $"Code '{code}' is not listed in {MedsSchema.CodesFile} (MEDS 0.4 requires every code).";
            issues.Add(strict
                ? Issue.Error(MedsIssueCodes.CodeNotInMetadata, path, message)
                : Issue.Warning(MedsIssueCodes.CodeNotInMetadata, path, message));
        }
    }
}
