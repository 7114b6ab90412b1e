using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Tests.Reference;

/// <summary>
/// Typed access to a resource's JSON elements that never throws on bad data: an element of the wrong JSON type, a bad
/// date or number becomes a recoverable issue (path <c>&lt;file&gt;:&lt;location&gt;.&lt;element&gt;</c>) and reads as
/// absent, so parsing goes on and returns a partial resource (the Firely SDK's approach; STYLE 7).
/// <c>path</c> arguments name the object being read, relative to the resource ("" for the resource itself).
/// </summary>
internal sealed class FhirElementReader(FhirResourceEnvelope envelope)
{
    public List<Issue> Issues { get; } = [];

    public static string Child(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    public void Report(string code, string path, string message) =>
        Issues.Add(Issue.Warning(code, envelope.IssuePath(path), message));

    /// <summary><see cref="Report"/> placed before the issues from <paramref name="index"/> on: an issue of an element found
    /// once its children are read, which the streaming reader orders before theirs (its order key is the element's).</summary>
    public void ReportBefore(int index, string code, string path, string message) =>
        Issues.Insert(index, Issue.Warning(code, envelope.IssuePath(path), message));

    /// <summary>The element named <paramref name="name"/>, absent when missing or JSON null.</summary>
    public static bool TryGet(JsonElement obj, string name, out JsonElement value) =>
        obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    public string? String(JsonElement obj, string name, string path)
    {
        if (!TryGet(obj, name, out var value))
            return null;
        if (value.ValueKind == JsonValueKind.String)
            return value.GetString();
        WrongType(Child(path, name), value, "a string");
        return null;
    }

    public bool? Boolean(JsonElement obj, string name, string path)
    {
        if (!TryGet(obj, name, out var value))
            return null;
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
            return value.GetBoolean();
        WrongType(Child(path, name), value, "a boolean");
        return null;
    }

    public int? Integer(JsonElement obj, string name, string path)
    {
        if (!TryGet(obj, name, out var value))
            return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number))
            return number;
        Report(FhirIssueCodes.InvalidNumber, Child(path, name), $"expected an integer, found {Describe(value)}");
        return null;
    }

    /// <summary>A FHIR decimal as double; outside double range (1e400) or not a JSON number ("NaN") is an issue.</summary>
    public double? Decimal(JsonElement obj, string name, string path)
    {
        if (!TryGet(obj, name, out var value))
            return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number))
            return number;
        Report(FhirIssueCodes.InvalidNumber, Child(path, name), $"expected a decimal within double range, found {Describe(value)}");
        return null;
    }

    public JsonElement? Object(JsonElement obj, string name, string path)
    {
        if (!TryGet(obj, name, out var value))
            return null;
        if (value.ValueKind == JsonValueKind.Object)
            return value;
        WrongType(Child(path, name), value, "an object");
        return null;
    }

    /// <summary>The items of a repeating element with their paths (<c>name[i]</c>). FHIR JSON always writes arrays here.</summary>
    public IEnumerable<(JsonElement Item, string Path)> Items(JsonElement obj, string name, string path)
    {
        if (!TryGet(obj, name, out var value))
            return [];
        if (value.ValueKind != JsonValueKind.Array)
        {
            WrongType(Child(path, name), value, "an array");
            return [];
        }
        var itemPath = Child(path, name);
        return value.EnumerateArray().Select((item, i) => (item, $"{itemPath}[{i}]")).ToList();
    }

    /// <summary>The object items of a repeating element; non-object items are issues and skipped.</summary>
    public IEnumerable<(JsonElement Item, string Path)> ObjectItems(JsonElement obj, string name, string path)
    {
        foreach (var (item, itemPath) in Items(obj, name, path))
        {
            if (item.ValueKind == JsonValueKind.Object)
                yield return (item, itemPath);
            else
                WrongType(itemPath, item, "an object");
        }
    }

    /// <summary>The first object item of a repeating element (dosageInstruction[0], referenceRange[0]…).</summary>
    public (JsonElement Item, string Path)? FirstObject(JsonElement obj, string name, string path)
    {
        foreach (var item in ObjectItems(obj, name, path))
            return item;
        return null;
    }

    public IReadOnlyList<string> Strings(JsonElement obj, string name, string path)
    {
        var result = new List<string>();
        foreach (var (item, itemPath) in Items(obj, name, path))
        {
            if (item.ValueKind == JsonValueKind.String)
                result.Add(item.GetString()!);
            else
                WrongType(itemPath, item, "a string");
        }
        return result;
    }

    public FhirDateTime? Date(JsonElement obj, string name, string path)
    {
        var text = String(obj, name, path);
        if (text is null)
            return null;
        if (!FhirDates.TryParse(text, out var value, out var withoutZone))
        {
            Report(FhirIssueCodes.InvalidDate, Child(path, name), "not a FHIR date, dateTime or instant (R4 §2.24.0.1)");
            return null;
        }
        if (withoutZone)
            Report(FhirIssueCodes.DateTimeWithoutZone, Child(path, name), "time without a zone offset; read as UTC");
        return value;
    }

    public void WrongType(string path, JsonElement value, string expected) =>
        Report(FhirIssueCodes.WrongElementType, path, $"expected {expected}, found {Describe(value)}");

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => value.ValueKind.ToString(),
    };
}
