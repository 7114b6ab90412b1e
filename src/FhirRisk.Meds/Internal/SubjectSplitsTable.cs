using FhirRisk.Core;
using FhirRisk.Parquet;

namespace FhirRisk.Meds.Internal;

/// <summary>Reads and writes <c>metadata/subject_splits.parquet</c> (MEDS <c>SubjectSplitSchema</c>).</summary>
internal static class SubjectSplitsTable
{
    /// <summary>One row; <see cref="Row"/> is the zero-based row in the file, for issue paths.</summary>
    public readonly record struct Entry(long SubjectId, string Split, long Row);

    public static void Write(string fullPath, IReadOnlyList<KeyValuePair<long, string>> entries, ParquetWriterOptions options)
    {
        var ids = new long[entries.Count];
        var splits = new string?[entries.Count];
        for (var i = 0; i < entries.Count; i++)
            (ids[i], splits[i]) = (entries[i].Key, entries[i].Value);
        using var writer = ParquetFileWriter.CreateOwnerOnly(fullPath, MedsSchema.SubjectSplits, options);
        writer.WriteRowGroup([
            ParquetColumn.Create(MedsSchema.SubjectSplits.Fields[0], ids),
            ParquetColumn.Create(MedsSchema.SubjectSplits.Fields[1], splits),
        ]);
    }

    /// <summary>Reads every well-formed row; schema problems and null cells become issues (MEDS010/011/013/026).</summary>
    public static List<Entry> Read(string fullPath, string path, List<Issue> issues, ParquetReaderOptions? options = null)
    {
        using var reader = ParquetFileReader.Open(fullPath, options);
        var usable = ColumnRules.RequireScalar(reader.Schema, MedsSchema.SubjectIdColumn, ParquetType.Int64, path, issues);
        usable &= ColumnRules.RequireScalar(reader.Schema, MedsSchema.SplitColumn, ParquetType.String, path, issues);
        var entries = new List<Entry>();
        if (!usable)
            return entries;

        // Each row's split string is a fresh instance; share one per distinct name (millions of subjects, ~3 names).
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        long row = 0;
        foreach (var group in reader.ReadRowGroups([MedsSchema.SubjectIdColumn, MedsSchema.SplitColumn]))
        {
            var idColumn = group[MedsSchema.SubjectIdColumn];
            var ids = idColumn.As<long>();
            var splits = group[MedsSchema.SplitColumn].As<string?>();
            for (var i = 0; i < group.RowCount; i++, row++)
            {
                if (idColumn.Validity is { } valid && !valid[i])
                    issues.Add(Issue.Error(MedsIssueCodes.NullSubjectId, $"{path}:row {row}", "Null subject_id."));
                else if (string.IsNullOrEmpty(splits[i]))
                    issues.Add(Issue.Error(MedsIssueCodes.NullSplit, $"{path}:row {row}", $"Subject {ids[i]} has no split."));
                else
                    entries.Add(new Entry(ids[i], Intern(names, splits[i]!), row));
            }
        }
        return entries;
    }

    private static string Intern(Dictionary<string, string> names, string name)
    {
        if (names.TryGetValue(name, out var shared))
            return shared;
        names.Add(name, name);
        return name;
    }
}
