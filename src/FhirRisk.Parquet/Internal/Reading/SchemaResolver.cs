using System.Diagnostics;
using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Internal.Reading;

/// <summary>
/// Walks the depth-first schema list of a footer and resolves each top-level field we can represent to a
/// <see cref="ColumnDescriptor"/>. Fields we cannot represent (structs, maps, lists of lists, INT96, unsigned 32/64-bit integers) are listed in
/// <see cref="Unsupported"/> with the reason, so the rest of the file stays readable.
/// </summary>
internal sealed class SchemaResolver
{
    /// <summary>Largest DECIMAL scale read: 10^scale must be a finite double.</summary>
    private const int MaxDecimalScale = 308;

    private readonly List<SchemaElement> _elements;
    private int _next;

    private SchemaResolver(List<SchemaElement> elements) => _elements = elements;

    public List<ColumnDescriptor> Columns { get; } = [];

    public Dictionary<string, string> Unsupported { get; } = new(StringComparer.Ordinal);

    public static SchemaResolver Resolve(List<SchemaElement> elements)
    {
        if (elements.Count == 0)
            throw new ParquetException(ParquetErrorCodes.CorruptMetadata, "The footer schema is empty.");
        var resolver = new SchemaResolver(elements) { _next = 1 };
        var rootChildren = ChildCount(elements[0]);
        for (var i = 0; i < rootChildren; i++)
            resolver.ResolveTopLevel();
        if (resolver._next != elements.Count)
            throw new ParquetException(ParquetErrorCodes.CorruptMetadata,
                $"The footer schema has {elements.Count} elements but the root's children account for {resolver._next}.");
        return resolver;
    }

    private SchemaElement Take()
    {
        if (_next >= _elements.Count)
            throw new ParquetException(ParquetErrorCodes.CorruptMetadata, "The footer schema ends inside a group (num_children too large).");
        return _elements[_next++];
    }

    /// <summary>
    /// Skips the subtree whose root was just taken. Iterative: the schema is a depth-first list whose nesting comes only
    /// from <c>num_children</c>, so a footer can describe a group nested millions deep, and a recursive walk would overflow
    /// the stack (an exception no caller can catch).
    /// </summary>
    private void SkipChildren(SchemaElement group)
    {
        var left = ChildCount(group);
        while (left > 0)
        {
            left--;
            left += ChildCount(Take());
        }
    }

    private static long ChildCount(SchemaElement element) => element.NumChildren switch
    {
        null => 0,
        < 0 => throw new ParquetException(ParquetErrorCodes.CorruptMetadata,
            $"Schema element '{element.Name}' declares {element.NumChildren} children."),
        var n => n.Value,
    };

    private void ResolveTopLevel()
    {
        var element = Take();
        var nullable = element.RepetitionType != FieldRepetitionType.Required;
        if (element.NumChildren is null or 0 && element.Type is not null)
        {
            if (element.RepetitionType == FieldRepetitionType.Repeated)
            {
                // A bare repeated primitive is a list of required elements that is never null (LogicalTypes.md, backward-compatibility rule 1).
                if (TryLeafType(element, out var type, out var why))
                    Columns.Add(new ColumnDescriptor(WithTypeParameters(ParquetField.ListOf(element.Name, type, nullable: false, elementNullable: false), element),
                        [element.Name], element.Type.Value, element.TypeLength ?? 0, 1, 1, 0));
                else
                    Unsupported[element.Name] = why;
                return;
            }
            if (TryLeafType(element, out var leafType, out var reason))
                Columns.Add(new ColumnDescriptor(WithTypeParameters(new ParquetField(element.Name, leafType, nullable), element),
                    [element.Name], element.Type.Value, element.TypeLength ?? 0, nullable ? 1 : 0, 0, 0));
            else
                Unsupported[element.Name] = reason;
            return;
        }
        var isList = element.ConvertedType == ConvertedType.List || element.LogicalType?.Kind == LogicalTypeKind.List;
        if (!isList || element.NumChildren != 1 || element.RepetitionType == FieldRepetitionType.Repeated)
        {
            Unsupported[element.Name] = isList ? "LIST group with an unexpected shape" : "nested group (struct or map)";
            SkipChildren(element);
            return;
        }
        ResolveList(element, nullable);
    }

    private void ResolveList(SchemaElement listGroup, bool nullable)
    {
        var repeated = Take();
        if (repeated.RepetitionType != FieldRepetitionType.Repeated)
        {
            Unsupported[listGroup.Name] = "LIST whose child is not repeated";
            SkipChildren(repeated);
            return;
        }
        var listDef = nullable ? 1 : 0;
        if (repeated.NumChildren is null or 0)
        {
            // Two-level list: the repeated field is the (required) element itself.
            AddListLeaf(listGroup, [listGroup.Name, repeated.Name], repeated, nullable, elementNullable: false, listDef, listDef + 1);
            return;
        }
        if (repeated.NumChildren != 1)
        {
            Unsupported[listGroup.Name] = "LIST of structs";
            SkipChildren(repeated);
            return;
        }
        var element = Take();
        if (element.NumChildren is > 0 || element.Type is null)
        {
            Unsupported[listGroup.Name] = "LIST of nested groups";
            SkipChildren(element);
            return;
        }
        if (element.RepetitionType == FieldRepetitionType.Repeated)
        {
            Unsupported[listGroup.Name] = "LIST with a repeated element";
            return;
        }
        var elementNullable = element.RepetitionType == FieldRepetitionType.Optional;
        AddListLeaf(listGroup, [listGroup.Name, repeated.Name, element.Name], element, nullable, elementNullable, listDef,
            listDef + 1 + (elementNullable ? 1 : 0));
    }

    private void AddListLeaf(SchemaElement listGroup, string[] path, SchemaElement leaf, bool nullable, bool elementNullable, int listDef, int maxDef)
    {
        if (!TryLeafType(leaf, out var type, out var reason))
        {
            Unsupported[listGroup.Name] = reason;
            return;
        }
        var field = WithTypeParameters(ParquetField.ListOf(listGroup.Name, type, nullable, elementNullable), leaf);
        Columns.Add(new ColumnDescriptor(field, path, leaf.Type!.Value, leaf.TypeLength ?? 0, maxDef, 1, listDef));
    }

    private static ParquetField WithTypeParameters(ParquetField field, SchemaElement leaf)
    {
        if (field.Type == ParquetType.Decimal)
        {
            var (precision, scale) = DecimalParameters(leaf);
            return field with { DecimalPrecision = precision, DecimalScale = scale };
        }
        if (field.Type != ParquetType.Timestamp)
            return field;
        var logical = leaf.LogicalType;
        if (logical?.Kind == LogicalTypeKind.Timestamp)
        {
            var unit = logical.Unit switch
            {
                TimeUnitKind.Millis => TimestampUnit.Millis,
                TimeUnitKind.Micros => TimestampUnit.Micros,
                TimeUnitKind.Nanos => TimestampUnit.Nanos,
                _ => throw new UnreachableException("TryLeafType refuses unknown time units."),
            };
            return field with { TimestampUnit = unit, IsAdjustedToUtc = logical.IsAdjustedToUtc };
        }
        // Legacy converted types are UTC-adjusted by definition.
        return field with
        {
            TimestampUnit = leaf.ConvertedType == ConvertedType.TimestampMillis ? TimestampUnit.Millis : TimestampUnit.Micros,
            IsAdjustedToUtc = true,
        };
    }

    /// <summary>
    /// Annotations whose values a signed int/long would silently misrepresent: unsigned 32/64-bit integers (values past
    /// the signed range turn negative). Such columns are reported, not read.
    /// </summary>
    private static string? Misread(SchemaElement leaf)
    {
        var logical = leaf.LogicalType;
        var unsigned = leaf.ConvertedType is ConvertedType.Uint32 or ConvertedType.Uint64
            || (logical?.Kind == LogicalTypeKind.Integer && !logical.IsSigned && logical.BitWidth >= 32);
        return unsigned ? "unsigned 32/64-bit integers are not supported (values past the signed range would read as negative)" : null;
    }

    private static bool IsDecimal(SchemaElement leaf) =>
        leaf.ConvertedType == ConvertedType.Decimal || leaf.LogicalType?.Kind == LogicalTypeKind.Decimal;

    /// <summary>The logical type's parameters win over the legacy SchemaElement fields (LogicalTypes.md "DECIMAL").</summary>
    private static (int Precision, int Scale) DecimalParameters(SchemaElement leaf) =>
        leaf.LogicalType?.Kind == LogicalTypeKind.Decimal
            ? (leaf.LogicalType.Precision, leaf.LogicalType.Scale)
            : (leaf.Precision ?? 0, leaf.Scale ?? 0);

    /// <summary>
    /// Checks a DECIMAL leaf against LogicalTypes.md: an integer or byte-array physical type, precision ≥ 1 and
    /// 0 ≤ scale ≤ precision. Returns the reason it cannot be read, or null.
    /// </summary>
    private static string? InvalidDecimal(SchemaElement leaf)
    {
        if (leaf.Type is not (PhysicalType.Int32 or PhysicalType.Int64 or PhysicalType.ByteArray)
            && !(leaf.Type == PhysicalType.FixedLenByteArray && leaf.TypeLength is > 0))
            return $"DECIMAL stored as physical type {leaf.Type?.ToString() ?? "(none)"} is not supported";
        var (precision, scale) = DecimalParameters(leaf);
        if (precision < 1 || scale < 0 || scale > precision)
            return $"DECIMAL({precision},{scale}) is not a valid decimal type";
        // Values are read as doubles, unscaled / 10^scale: past 10^308 the divisor is infinite and every value would read 0.
        return scale > MaxDecimalScale ? $"DECIMAL with scale {scale} is not supported (at most {MaxDecimalScale}, as doubles)" : null;
    }

    private static bool TryLeafType(SchemaElement leaf, out ParquetType type, out string reason)
    {
        reason = "";
        var logical = leaf.LogicalType?.Kind;
        if (Misread(leaf) is { } misread)
        {
            type = default;
            reason = misread;
            return false;
        }
        if (logical is LogicalTypeKind.Timestamp or LogicalTypeKind.Time && !Enum.IsDefined(leaf.LogicalType!.Unit))
        {
            // A TimeUnit member this reader does not know: guessing a unit would scale every value by a wrong factor.
            type = default;
            reason = $"{logical.Value.ToString().ToUpperInvariant()} with an unknown time unit (TimeUnit member {(int)leaf.LogicalType!.Unit + 1})";
            return false;
        }
        if (IsDecimal(leaf))
        {
            type = ParquetType.Decimal;
            reason = InvalidDecimal(leaf) ?? "";
            return reason.Length == 0;
        }
        switch (leaf.Type)
        {
            case PhysicalType.Boolean: type = ParquetType.Boolean; return true;
            case PhysicalType.Int32: type = ParquetType.Int32; return true;
            case PhysicalType.Float: type = ParquetType.Float; return true;
            case PhysicalType.Double: type = ParquetType.Double; return true;
            case PhysicalType.Int64:
                type = logical == LogicalTypeKind.Timestamp || leaf.ConvertedType is ConvertedType.TimestampMillis or ConvertedType.TimestampMicros
                    ? ParquetType.Timestamp
                    : ParquetType.Int64;
                return true;
            case PhysicalType.ByteArray:
                type = logical is LogicalTypeKind.String or LogicalTypeKind.Enum or LogicalTypeKind.Json
                    || leaf.ConvertedType is ConvertedType.Utf8 or ConvertedType.Enum or ConvertedType.Json
                    ? ParquetType.String
                    : ParquetType.Binary;
                return true;
            case PhysicalType.FixedLenByteArray when leaf.TypeLength is > 0:
                type = ParquetType.Binary;
                return true;
            default:
                type = default;
                reason = $"physical type {leaf.Type?.ToString() ?? "(none)"} is not supported";
                return false;
        }
    }
}
