using FhirRisk.Core;
using FhirRisk.Parquet;

namespace FhirRisk.Meds.Internal;

/// <summary>Reads and writes <c>metadata/codes.parquet</c> (MEDS <c>CodeMetadataSchema</c>).</summary>
internal static class CodesTable
{
    public static void Write(string fullPath, IReadOnlyList<MedsCodeMetadata> codes, ParquetWriterOptions options)
    {
        var names = new string?[codes.Count];
        var descriptions = new string?[codes.Count];
        var parents = new Array?[codes.Count];
        for (var i = 0; i < codes.Count; i++)
        {
            names[i] = codes[i].Code;
            descriptions[i] = codes[i].Description;
            parents[i] = codes[i].ParentCodes is { } list ? list.ToArray<string?>() : null;
        }
        using var writer = ParquetFileWriter.CreateOwnerOnly(fullPath, MedsSchema.Codes, options); // codes carry record text (RACE//…, units)
        writer.WriteRowGroup([
            ParquetColumn.Create(MedsSchema.Codes.Fields[0], names),
            ParquetColumn.Create(MedsSchema.Codes.Fields[1], descriptions),
            ParquetColumn.Create(MedsSchema.Codes.Fields[2], parents),
        ]);
    }

    /// <summary>
    /// Reads every row with a code. <c>description</c> and <c>parent_codes</c> are optional (MEDS011 when mistyped or
    /// unreadable); other tools add columns (MIMIC adds <c>itemid</c>, <c>valueuom</c>, …), which are ignored.
    /// </summary>
    public static List<MedsCodeMetadata> Read(string fullPath, string path, List<Issue> issues, ParquetReaderOptions? options = null)
    {
        using var reader = ParquetFileReader.Open(fullPath, options);
        var codes = new List<MedsCodeMetadata>();
        if (!ColumnRules.RequireScalar(reader.Schema, MedsSchema.CodeColumn, ParquetType.String, path, issues))
            return codes;
        var columns = new List<string> { MedsSchema.CodeColumn };
        if (ColumnRules.Optional(reader.Schema, MedsSchema.Codes[MedsSchema.DescriptionColumn], path, issues, out _) is { } description)
        {
            if (ColumnRules.IsScalar(description, ParquetType.String))
                columns.Add(MedsSchema.DescriptionColumn);
            else
                issues.Add(ColumnRules.WrongType(description, "string", path));
        }
        if (ColumnRules.Optional(reader.Schema, MedsSchema.Codes[MedsSchema.ParentCodesColumn], path, issues, out _) is { } parentField)
        {
            if (parentField is { IsList: true, Type: ParquetType.String })
                columns.Add(MedsSchema.ParentCodesColumn);
            else
                issues.Add(ColumnRules.WrongType(parentField, "list<string>", path));
        }

        long row = 0;
        foreach (var group in reader.ReadRowGroups(columns))
        {
            var names = group[MedsSchema.CodeColumn].As<string?>();
            var descriptions = group.TryGetColumn(MedsSchema.DescriptionColumn, out var d) ? d.As<string?>() : null;
            var parents = group.TryGetColumn(MedsSchema.ParentCodesColumn, out var p) ? p.As<Array?>() : null;
            for (var i = 0; i < group.RowCount; i++, row++)
            {
                if (names[i] is null)
                {
                    issues.Add(Issue.Error(MedsIssueCodes.NullCode, $"{path}:row {row}", "Null code."));
                    continue;
                }
                codes.Add(new MedsCodeMetadata(names[i]!, descriptions?[i], ToParents(parents?[i])));
            }
        }
        return codes;
    }

    private static string[]? ToParents(Array? list) =>
        list is string?[] values ? values.OfType<string>().ToArray() : null;
}
