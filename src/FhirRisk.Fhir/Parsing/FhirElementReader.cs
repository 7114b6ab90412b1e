using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Parsing;

/// <summary>
/// Reads one resource's elements in a single forward pass over its UTF-8 JSON, never throwing on bad data: an element
/// of the wrong JSON type, a bad date or number becomes a recoverable issue and reads as absent, so the rest of the
/// resource is still read (the Firely SDK's approach; STYLE 7). JSON null reads as absent. Invalid JSON and nesting
/// beyond the reader's MaxDepth throw <see cref="JsonException"/> (the resource is unusable).
/// </summary>
/// <remarks>
/// <para>Instance paths cost nothing until an issue is reported: the reader keeps a stack of frames (the property or
/// item that opened each object and array being read) and builds the path from it only then.</para>
/// <para>Issues are ordered by read order, not document order: each record reads its elements in a fixed order (the
/// <c>…Order</c> enums of the readers, the order in which the Model members are filled) and an issue's key is the
/// positions of its element and of the elements above it. <see cref="Is{TOrder}"/> sets the position.</para>
/// <para>A property that occurs twice is read twice: the later occurrence replaces the earlier one, and the earlier
/// one's issues are dropped (JSON objects should not repeat names; RFC 8259 §4 leaves it open, and the last one wins
/// here as in <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>).</para>
/// </remarks>
internal ref struct FhirElementReader
{
    private readonly ReadOnlySpan<byte> _json;
    private readonly Span<ElementFrame> _frames;
    private Utf8JsonReader _reader;
    private ReadOnlySpan<byte> _name; // the current property's raw name; empty when it has escapes (then it is compared unescaped)
    private int _depth;
    private ElementStep _current = ElementStep.Root;
    private ParseIssueLog? _issues;
    private readonly Utf8StringCache _strings = Utf8StringCache.Current;
    private readonly TimeZoneInfo? _zone; // the site's zone for dates and zone-less times; null for UTC

    /// <param name="frames">Room for the frame stack: one more than the reader's MaxDepth.</param>
    /// <param name="zone">The zone of dates without a time and of times without an offset (FhirReaderSettings.TimeZone); null: UTC.</param>
    public FhirElementReader(ReadOnlySpan<byte> json, JsonReaderOptions options, Span<ElementFrame> frames, TimeZoneInfo? zone = null)
    {
        _json = json;
        _frames = frames;
        _reader = new Utf8JsonReader(json, options);
        _zone = zone is null || FhirDates.IsUtc(zone) ? null : zone;
    }

    /// <summary>Reads the root value: true when it is an object (now being read); otherwise it is skipped.</summary>
    public bool RootObject()
    {
        _reader.Read();
        if (_reader.TokenType == JsonTokenType.StartObject)
        {
            Push(FrameKind.Root);
            return true;
        }
        _reader.Skip();
        return false;
    }

    /// <summary>Checks that only whitespace follows the root value; anything else throws, as JsonDocument.Parse does.</summary>
    public void EnsureEnd() => _reader.Read();

    public readonly IReadOnlyList<Core.Issue> IssuesFor(FhirResourceEnvelope envelope) => _issues?.ToIssues(envelope) ?? [];

    /// <summary>Moves to the next property of the object being read; false (and the object is done) at its end.</summary>
    public bool NextProperty()
    {
        _reader.Read();
        if (_reader.TokenType == JsonTokenType.PropertyName)
        {
            _current = ElementStep.Property(_reader.TokenStartIndex);
            _name = _reader.ValueIsEscaped ? default : _reader.ValueSpan;
            return true;
        }
        if (_reader.TokenType != JsonTokenType.EndObject)
            throw new InvalidOperationException("a property's value was left unread");
        if (Pop() is FrameKind.FirstItem or FrameKind.InlineFirstItem)
            SkipRemainingItems();
        return false;
    }

    /// <summary>
    /// True when the current property is named <paramref name="name"/> (compared as unescaped UTF-8); its value is then
    /// read at position <paramref name="order"/> of the record's read order.
    /// </summary>
    public bool Is<TOrder>(ReadOnlySpan<byte> name, TOrder order) where TOrder : struct, Enum =>
        Is(name, Unsafe.BitCast<TOrder, int>(order));

    public bool Is(ReadOnlySpan<byte> name, int order)
    {
        if (!(_name.IsEmpty ? _reader.ValueTextEquals(name) : _name.SequenceEqual(name)))
            return false;
        _current = _current with { Order = order };
        return true;
    }

    /// <summary>
    /// True when the current property's name is <paramref name="prefix"/> followed by an upper-case letter: an [x] choice,
    /// possibly of a type we do not know (R4 §2.6.0.1: the type name is appended, capitalised); its value is then read
    /// at position <paramref name="order"/>.
    /// </summary>
    public bool IsChoice(ReadOnlySpan<byte> prefix, int order)
    {
        bool isChoice;
        if (!_name.IsEmpty)
        {
            isChoice = _name.Length > prefix.Length && _name.StartsWith(prefix) && char.IsAsciiLetterUpper((char)_name[prefix.Length]);
        }
        else
        {
            var text = _reader.GetString()!; // prefixes are ASCII: as many chars as bytes
            isChoice = text.Length > prefix.Length && text.StartsWith(Encoding.UTF8.GetString(prefix), StringComparison.Ordinal)
                && char.IsAsciiLetterUpper(text[prefix.Length]);
        }
        if (isChoice)
            _current = _current with { Order = order };
        return isChoice;
    }

    /// <summary>Moves to the current property's value; true when it is JSON null. The value must still be read or skipped.</summary>
    public bool ValueIsNull()
    {
        if (_reader.TokenType == JsonTokenType.PropertyName)
            _reader.Read();
        return _reader.TokenType == JsonTokenType.Null;
    }

    /// <summary>Skips the current property's value or the current item.</summary>
    public void Skip() => _reader.Skip();

    public string? String()
    {
        BeginValue();
        if (_reader.TokenType == JsonTokenType.String)
            return _reader.GetString();
        if (!IsAbsent())
            WrongType("a string");
        return null;
    }

    /// <summary>A string that repeats across resources (a code, system, unit, status…): its instance is shared (<see cref="Utf8StringCache"/>).</summary>
    public string? RepeatedString()
    {
        BeginValue();
        if (_reader.TokenType == JsonTokenType.String)
            return _strings.GetString(ref _reader);
        if (!IsAbsent())
            WrongType("a string");
        return null;
    }

    public bool? Boolean()
    {
        BeginValue();
        if (_reader.TokenType is JsonTokenType.True or JsonTokenType.False)
            return _reader.GetBoolean();
        if (!IsAbsent())
            WrongType("a boolean");
        return null;
    }

    public int? Integer()
    {
        BeginValue();
        if (_reader.TokenType == JsonTokenType.Number && _reader.TryGetInt32(out var number))
            return number;
        if (!IsAbsent())
            Invalid(FhirIssueCodes.InvalidNumber, $"expected an integer, found {Describe()}");
        return null;
    }

    /// <summary>A FHIR decimal as double; outside double range (1e400) or not a JSON number ("NaN") is an issue.</summary>
    public double? Decimal()
    {
        BeginValue();
        if (_reader.TokenType == JsonTokenType.Number && _reader.TryGetDouble(out var number) && double.IsFinite(number))
            return number;
        if (!IsAbsent())
            Invalid(FhirIssueCodes.InvalidNumber, $"expected a decimal within double range, found {Describe()}");
        return null;
    }

    /// <summary>A FHIR date, dateTime or instant, parsed from the UTF-8 value itself unless it has JSON escapes.</summary>
    public FhirDateTime? Date()
    {
        BeginValue();
        if (_reader.TokenType != JsonTokenType.String)
        {
            if (!IsAbsent())
                WrongType("a string");
            return null;
        }
        var valid = _reader.ValueIsEscaped
            ? FhirDates.TryParse(_reader.GetString(), out var value, out var withoutZone)
            : FhirDates.TryParse(_reader.ValueSpan, out value, out withoutZone);
        if (!valid)
        {
            Report(FhirIssueCodes.InvalidDate, "not a FHIR date, dateTime or instant (R4 §2.24.0.1)");
            return null;
        }
        if (_zone is not null && (withoutZone || !value.HasTime))
            value = FhirDates.InZone(value, withoutZone, _zone);
        if (withoutZone)
            Report(FhirIssueCodes.DateTimeWithoutZone, _zone is null ? "time without a zone offset; read as UTC" : $"time without a zone offset; read in the site time zone ({_zone.Id})");
        return value;
    }

    /// <summary>Starts reading an object value as a record of its own; read its properties with <see cref="NextProperty"/>.</summary>
    public bool Object() => Enter(JsonTokenType.StartObject, FrameKind.Object, "an object");

    /// <summary>Starts reading an object value whose elements fill members of the enclosing record (see <see cref="FrameKind.InlineObject"/>).</summary>
    public bool InlineObject() => Enter(JsonTokenType.StartObject, FrameKind.InlineObject, "an object");

    /// <summary>Starts reading an array value; read its items with <see cref="NextItem"/>.</summary>
    public bool Array() => Enter(JsonTokenType.StartArray, FrameKind.Array, "an array");

    /// <summary>Moves to the next item of the array being read; false (and the array is done) at its end.</summary>
    public bool NextItem()
    {
        _reader.Read();
        if (_reader.TokenType == JsonTokenType.EndArray)
        {
            Pop();
            return false;
        }
        ref var array = ref _frames[_depth - 1];
        _current = ElementStep.Item(array.ItemCount);
        array.ItemCount++;
        return true;
    }

    /// <summary>
    /// Starts reading the first object item of an array value (R4 elements of which we keep item [0]); items before it
    /// that are not objects are issues, items after it are skipped when it ends.
    /// </summary>
    public bool FirstObject() => EnterFirstObject(FrameKind.FirstItem);

    /// <summary>As <see cref="FirstObject"/>, for an item whose elements fill members of the record owning the array.</summary>
    public bool InlineFirstObject() => EnterFirstObject(FrameKind.InlineFirstItem);

    /// <summary>
    /// Starts reading the current array item when it is an object whose <c>resourceType</c> (its last one) names a type
    /// we ingest. Other objects are skipped without issue (contained resources we do not ingest); non-objects are issues.
    /// </summary>
    public bool ContainedResource([NotNullWhen(true)] out FhirResourceType? type)
    {
        type = null;
        if (_reader.TokenType != JsonTokenType.StartObject)
        {
            WrongType("an object");
            return false;
        }
        type = DeclaredTypeAhead();
        if (type is null)
        {
            _reader.Skip();
            return false;
        }
        Push(FrameKind.Object);
        return true;
    }

    /// <summary>The type a <c>resourceType</c> value names; null when it is not a string naming a type we ingest.</summary>
    public FhirResourceType? ResourceType()
    {
        BeginValue();
        if (_reader.TokenType == JsonTokenType.String)
            return FhirResourceTypes.Find(ref _reader);
        _reader.Skip();
        return null;
    }

    public void Report(string code, string message) => (_issues ??= new()).Add(CurrentOrder(), CurrentPath(), code, message);

    /// <summary>Drops the issues of child <paramref name="name"/> of the current element: the record does not use it.</summary>
    public readonly void DiscardIssues(string name)
    {
        if (_issues is { Count: > 0 })
            _issues.DiscardUnder(Child(CurrentPath(), name));
    }

    /// <summary>Drops the issues of the current element except those of its child <paramref name="name"/>.</summary>
    public readonly void DiscardIssuesExcept(string name)
    {
        if (_issues is { Count: > 0 })
        {
            var path = CurrentPath();
            _issues.DiscardUnder(path, keep: Child(path, name));
        }
    }

    /// <summary>Moves to a property's value (an item's value is already current), dropping the issues of an earlier occurrence.</summary>
    private void BeginValue()
    {
        if (_reader.TokenType != JsonTokenType.PropertyName)
            return;
        _reader.Read();
        if (_issues is { Count: > 0 })
            _issues.DiscardUnder(CurrentPath());
    }

    // JSON null is an absent property; a null array item is reported like any item of the wrong type.
    private readonly bool IsAbsent() => _reader.TokenType == JsonTokenType.Null && _current.IsProperty;

    private bool Enter(JsonTokenType start, FrameKind kind, string expected)
    {
        BeginValue();
        if (_reader.TokenType == start)
        {
            Push(kind);
            return true;
        }
        if (!IsAbsent())
            WrongType(expected);
        return false;
    }

    private bool EnterFirstObject(FrameKind kind)
    {
        if (!Array())
            return false;
        while (NextItem())
        {
            if (_reader.TokenType == JsonTokenType.StartObject)
            {
                Push(kind);
                return true;
            }
            WrongType("an object");
        }
        return false;
    }

    private void SkipRemainingItems()
    {
        while (NextItem())
            _reader.Skip();
    }

    private readonly FhirResourceType? DeclaredTypeAhead()
    {
        var ahead = _reader; // a copy: reading it leaves this reader at the object's start
        FhirResourceType? type = null;
        while (ahead.Read() && ahead.TokenType == JsonTokenType.PropertyName)
        {
            var isType = ahead.ValueTextEquals("resourceType"u8);
            ahead.Read();
            if (isType)
                type = ahead.TokenType == JsonTokenType.String ? FhirResourceTypes.Find(ref ahead) : null;
            ahead.Skip();
        }
        return type;
    }

    private void WrongType(string expected) => Invalid(FhirIssueCodes.WrongElementType, $"expected {expected}, found {Describe()}");

    private void Invalid(string code, string message)
    {
        Report(code, message);
        _reader.Skip();
    }

    private readonly string Describe() => _reader.TokenType switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        _ => nameof(JsonValueKind.Null), // a null item; the name JsonValueKind gives it
    };

    private void Push(FrameKind kind) => _frames[_depth++] = new ElementFrame(_current, kind);

    private FrameKind Pop()
    {
        var frame = _frames[--_depth];
        _current = frame.Step;
        return frame.Kind;
    }

    private readonly string CurrentPath() => ElementPath.Of(_json, _frames[.._depth], _current);

    private readonly int[] CurrentOrder() => ElementPath.OrderOf(_frames[.._depth], _current);

    private static string Child(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
