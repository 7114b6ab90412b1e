using System.Text.Json;

namespace FhirRisk.Parquet.Tests.Interop;

/// <summary>
/// The Parquet schema tree as DuckDB's <c>parquet_schema()</c> reports it (a flattened depth-first list where each
/// group gives its child count), rebuilt so tests can check each top-level column's repetition and, for lists, the
/// element's (Parquet LogicalTypes.md, "Lists": optional|required group (LIST) { repeated group list { element } }).
/// </summary>
internal sealed record DuckDbSchemaNode(string Name, string Repetition, string? PhysicalType, IReadOnlyList<DuckDbSchemaNode> Children)
{
    /// <summary>The top-level columns (children of the schema root).</summary>
    public static IReadOnlyList<DuckDbSchemaNode> TopLevel(JsonElement schemaResult)
    {
        var rows = schemaResult.GetProperty("parquet_schema").EnumerateArray().ToArray();
        var index = 0;
        return Parse(rows, ref index).Children;
    }

    /// <summary>For a three-level list column: the element node; null otherwise.</summary>
    public DuckDbSchemaNode? ListElement => Children is [{ Repetition: "REPEATED", Children: [var element] }] ? element : null;

    public bool IsOptional => Repetition == "OPTIONAL";

    private static DuckDbSchemaNode Parse(JsonElement[] rows, ref int index)
    {
        var row = rows[index++];
        var childCount = row.GetProperty("num_children") is { ValueKind: JsonValueKind.String } n ? int.Parse(n.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var children = new List<DuckDbSchemaNode>(childCount);
        for (var i = 0; i < childCount; i++)
            children.Add(Parse(rows, ref index));
        var physical = row.GetProperty("type");
        return new DuckDbSchemaNode(
            row.GetProperty("name").GetString()!,
            row.GetProperty("repetition_type").GetString() ?? "REQUIRED",
            physical.ValueKind == JsonValueKind.String ? physical.GetString() : null,
            children);
    }
}
