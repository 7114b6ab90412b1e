using System.Text;
using System.Text.Json;

namespace FhirRisk.Fhir.Parsing;

/// <summary>
/// One step of an instance path: a property, kept as the offset of its name token in the resource JSON so that the
/// name is decoded only when a path is needed, or an array item, kept as its index. <see cref="Order"/> is the step's
/// position in the read order of the record being filled (see <see cref="FhirElementReader"/>); an item's is its index.
/// </summary>
internal readonly record struct ElementStep(int NameOffset, int Index, int Order)
{
    public static ElementStep Root => new(-1, -1, 0);

    public static ElementStep Property(long nameOffset) => new(checked((int)nameOffset), -1, 0);

    public static ElementStep Item(int index) => new(-1, index, index);

    public bool IsProperty => NameOffset >= 0;
}

/// <summary>How the elements inside a JSON object or array being read are ordered among the issues.</summary>
internal enum FrameKind
{
    /// <summary>The resource's JSON root.</summary>
    Root,

    /// <summary>An object read as a record of its own (a Coding, a Period…): its elements are ordered inside it.</summary>
    Object,

    /// <summary>
    /// An object whose elements fill members of the enclosing record (Encounter.hospitalization, meta): they are
    /// ordered among the enclosing record's elements.
    /// </summary>
    InlineObject,

    /// <summary>An array: its items are ordered by index.</summary>
    Array,

    /// <summary>The first object item of an array, the only one read (doseAndRate[0]); the items after it are skipped.</summary>
    FirstItem,

    /// <summary>
    /// The first object item of an array whose elements fill members of the record that owns the array
    /// (referenceRange[0], dosageInstruction[0]); the items after it are skipped.
    /// </summary>
    InlineFirstItem,
}

/// <summary>An object or array being read: the step that opened it, and for arrays how many items were read so far.</summary>
internal record struct ElementFrame(ElementStep Step, FrameKind Kind)
{
    public int ItemCount { get; set; }
}

/// <summary>What an issue needs from the frame stack: the instance path and the read-order key of the current element.</summary>
internal static class ElementPath
{
    /// <summary>The path relative to the resource (<c>component[1].valueQuantity.value</c>); names are decoded from the JSON.</summary>
    public static string Of(ReadOnlySpan<byte> json, ReadOnlySpan<ElementFrame> frames, ElementStep current)
    {
        var path = new StringBuilder();
        for (var i = 1; i < frames.Length; i++)
            Append(path, json, frames[i].Step);
        Append(path, json, current);
        return path.ToString();
    }

    /// <summary>
    /// The read-order key: the positions of the element and the elements above it. Inline objects add no position of
    /// their own (their elements are positions of the enclosing record), and neither does the array of an inline item.
    /// </summary>
    public static int[] OrderOf(ReadOnlySpan<ElementFrame> frames, ElementStep current)
    {
        var order = new List<int>();
        for (var i = 1; i < frames.Length; i++)
        {
            var kind = frames[i].Kind;
            var arrayOfInlineItem = kind == FrameKind.Array && i + 1 < frames.Length && frames[i + 1].Kind == FrameKind.InlineFirstItem;
            if (kind is not (FrameKind.InlineObject or FrameKind.InlineFirstItem) && !arrayOfInlineItem)
                order.Add(frames[i].Step.Order);
        }
        order.Add(current.Order);
        return [.. order];
    }

    private static void Append(StringBuilder path, ReadOnlySpan<byte> json, ElementStep step)
    {
        if (step.IsProperty)
        {
            var name = new Utf8JsonReader(json[step.NameOffset..]);
            name.Read();
            path.Append(path.Length == 0 ? "" : ".").Append(name.GetString());
        }
        else if (step.Index >= 0)
        {
            path.Append('[').Append(step.Index).Append(']');
        }
    }
}
