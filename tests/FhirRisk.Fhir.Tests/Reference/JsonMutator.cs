using System.Text;
using System.Text.Json;

namespace FhirRisk.Fhir.Tests.Reference;

/// <summary>
/// Seeded mutations of a real resource for the differential fuzz: values replaced by other JSON types, bad dates and
/// huge numbers, properties dropped, duplicated, renamed to escaped or other [x] names, resourceType moved last or
/// changed, properties shuffled, contained resources added, deep nesting, and JSON cut at a random offset. The tree keeps property names as
/// raw JSON text so that duplicates and escaped names survive.
/// </summary>
internal sealed class JsonMutator(Random random)
{
    private static readonly string[] Values =
    [
        "\"x\"", "\"\"", "5", "-0.5", "0", "1e400", "-1e400", "1e308", "2147483648", "3.5", "\"NaN\"", "true", "false", "null",
        "{}", "[]", "[null]", "[1,\"a\",{}]", "{\"a\":1}", "\"2023\"", "\"2023-02\"", "\"2023-13-01\"", "\"2023-02-30\"",
        "\"2023-02-03T04:05\"", "\"2023-02-03T04:05:06\"", "\"2023-02-03T04:05:06.123456789+14:00\"", "\"2023-02-03T24:00:00Z\"",
        "\"\\u0032023-01-01\"", "\"a\\\"b\\\\c\\u00e9\"", "{\"reference\":\"Patient/1\",\"display\":5}",
        "{\"coding\":[{\"system\":\"s\",\"code\":1}],\"text\":null}", "{\"value\":1e400,\"unit\":2}", "{\"start\":\"bad\",\"end\":\"2020\"}",
        "[{\"low\":{\"value\":\"NaN\"}},{\"high\":{\"value\":1}}]", "[\"a\",{\"doseQuantity\":{\"value\":1}}]",
    ];

    private static readonly string[] ResourceTypes =
        ["\"Observation\"", "\"Patient\"", "\"Medication\"", "\"MedicationRequest\"", "\"Practitioner\"", "5", "null", "\"\""];

    private static readonly string[] ChoiceNames =
    [
        "valueQuantity", "valueString", "valueFoo", "valueSampledData", "valueRange", "valueRatio", "valueInteger",
        "effectiveDateTime", "effectiveInstant", "effectivePeriod", "onsetDateTime", "onsetPeriod", "onsetAge", "performedAge", "deceasedBoolean",
        "deceasedDateTime", "rateQuantity", "rateRatio", "whenPrepared", "occurrenceString", "medicationReference",
    ];

    /// <summary>The resource with 1–4 mutations, as UTF-8 JSON (sometimes cut short or padded).</summary>
    public byte[] Mutate(string json, IReadOnlyList<string> otherResources)
    {
        var root = Node.Parse(json);
        for (var i = random.Next(1, 5); i > 0; i--)
            Apply(root, otherResources);
        var text = root.ToString();
        var roll = random.NextDouble();
        if (roll < 0.08)
            text = text[..random.Next(text.Length)];
        else if (roll < 0.10)
            text = " \n" + text + (random.Next(2) == 0 ? "  " : " x");
        return Encoding.UTF8.GetBytes(text);
    }

    private void Apply(Node root, IReadOnlyList<string> otherResources)
    {
        var containers = root.Containers().ToList();
        var target = containers[random.Next(containers.Count)];
        switch (random.Next(14))
        {
            case 11:
                target.Shuffle(random);
                break;
            case 12 or 13:
                foreach (var container in target.Containers().ToList())
                    container.SetRandomChild(random, Pick(Values));
                break;
            case 0 or 1:
                target.SetRandomChild(random, Pick(Values));
                break;
            case 2:
                target.SetRandomChild(random, Pick(containers).ToString());
                break;
            case 3:
                target.RemoveRandomChild(random);
                break;
            case 4:
                target.DuplicateRandomProperty(random);
                break;
            case 5:
                target.EscapeRandomName(random);
                break;
            case 6:
                target.RenameRandomProperty(random, Pick(ChoiceNames));
                break;
            case 7:
                target.SetRandomChild(random, Nesting(random.Next(20, 90)));
                break;
            case 8:
                root.MoveLast("\"resourceType\"");
                break;
            case 9:
                root.Set("\"resourceType\"", Pick(ResourceTypes), append: random.Next(3) == 0);
                break;
            default:
                var contained = Node.Parse(Pick(otherResources));
                if (random.Next(2) == 0)
                    contained.MoveLast("\"resourceType\"");
                root.Set("\"contained\"", $"[{contained},{Pick(Values)}]", append: random.Next(2) == 0);
                break;
        }
    }

    private string Nesting(int depth) =>
        random.Next(2) == 0 ? new string('[', depth) + new string(']', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    /// <summary>A JSON value: an object (properties with raw names), an array, or raw JSON text.</summary>
    private sealed class Node
    {
        private List<(string Name, Node Value)>? _properties;
        private List<Node>? _items;
        private string? _raw;

        public static Node Parse(string json)
        {
            using var document = JsonDocument.Parse(json);
            return From(document.RootElement);
        }

        private static Node From(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.Object => new Node { _properties = [.. element.EnumerateObject().Select(p => (JsonSerializer.Serialize(p.Name), From(p.Value)))] },
            JsonValueKind.Array => new Node { _items = [.. element.EnumerateArray().Select(From)] },
            _ => new Node { _raw = element.GetRawText() },
        };

        public IEnumerable<Node> Containers()
        {
            if (_raw is not null)
                yield break;
            yield return this;
            foreach (var child in Children())
            {
                foreach (var container in child.Containers())
                    yield return container;
            }
        }

        private IEnumerable<Node> Children() => _properties?.Select(p => p.Value) ?? _items ?? [];

        private int Count => _properties?.Count ?? _items?.Count ?? 0;

        public void SetRandomChild(Random random, string json)
        {
            var value = new Node { _raw = json };
            if (Count == 0)
                return;
            var i = random.Next(Count);
            if (_properties is not null)
                _properties[i] = (_properties[i].Name, value);
            else
                _items![i] = value;
        }

        /// <summary>Reorders the properties: the parser must report issues in read order, not document order.</summary>
        public void Shuffle(Random random)
        {
            if (_properties is not null)
                random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_properties));
        }

        public void RemoveRandomChild(Random random)
        {
            if (Count == 0)
                return;
            var i = random.Next(Count);
            if (_properties is not null)
                _properties.RemoveAt(i);
            else
                _items!.RemoveAt(i);
        }

        public void DuplicateRandomProperty(Random random)
        {
            if (_properties is not { Count: > 0 })
                return;
            var property = _properties[random.Next(_properties.Count)];
            _properties.Insert(random.Next(_properties.Count + 1), (property.Name, new Node { _raw = random.Next(2) == 0 ? "null" : property.Value.ToString() }));
        }

        public void EscapeRandomName(Random random)
        {
            if (_properties is not { Count: > 0 })
                return;
            var i = random.Next(_properties.Count);
            var name = _properties[i].Name;
            if (name.Length > 2 && name[1] != '\\')
                _properties[i] = ($"\"\\u{(int)name[1]:x4}{name[2..]}", _properties[i].Value);
        }

        public void RenameRandomProperty(Random random, string name)
        {
            if (_properties is not { Count: > 0 })
                return;
            var i = random.Next(_properties.Count);
            _properties[i] = ($"\"{name}\"", _properties[i].Value);
        }

        public void MoveLast(string name)
        {
            if (_properties is null)
                return;
            var moved = _properties.Where(p => p.Name == name).ToList();
            _properties.RemoveAll(p => p.Name == name);
            _properties.AddRange(moved);
        }

        public void Set(string name, string json, bool append)
        {
            if (_properties is null)
                return;
            if (!append)
                _properties.RemoveAll(p => p.Name == name);
            _properties.Add((name, new Node { _raw = json }));
        }

        public override string ToString()
        {
            if (_raw is not null)
                return _raw;
            if (_items is not null)
                return "[" + string.Join(",", _items) + "]";
            return "{" + string.Join(",", _properties!.Select(p => $"{p.Name}:{p.Value}")) + "}";
        }
    }
}
