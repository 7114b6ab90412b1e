namespace FhirRisk.Tokenizer;

/// <summary>
/// A subject's static facts as encoding found them: birth time and, per static field, each value's token with the time
/// it became known (static rows are known from the start). <see cref="TimelineTokenizer.PrefixAt"/> reads them to
/// rebuild the static prefix for any window start (reference/ethos.md §1.2).
/// </summary>
public sealed class SubjectStatics
{
    /// <summary>Time of a static row (null <c>time</c>): known before anything else.</summary>
    internal const long Always = long.MinValue;

    private readonly List<(long Time, int TokenId)>[] _values;

    internal SubjectStatics(int fields)
    {
        _values = new List<(long, int)>[fields];
        for (var i = 0; i < fields; i++)
            _values[i] = [];
    }

    /// <summary>Birth time in microseconds since 1970 (<c>MEDS_BIRTH</c>), or null when the subject has none.</summary>
    public long? BirthMicros { get; internal set; }

    internal void Clear()
    {
        BirthMicros = null;
        foreach (var values in _values)
            values.Clear();
    }

    internal int FieldCount => _values.Length;

    internal void Add(int field, long time, int tokenId) => _values[field].Add((time, tokenId));

    /// <summary>Every known value in field order, then in the order encoding met them.</summary>
    internal IEnumerable<(int Field, long Time, int TokenId)> Entries()
    {
        for (var field = 0; field < _values.Length; field++)
        {
            foreach (var (time, tokenId) in _values[field])
                yield return (field, time, tokenId);
        }
    }

    /// <summary>
    /// The token of the field's latest value known at <paramref name="time"/>, or <paramref name="unknownId"/>. Values
    /// known from the same time (several static rows of one field: a multiracial patient's races) give the one of the
    /// lowest token id, so the prefix does not depend on the order MEDS happens to give its static rows; a value the
    /// vocabulary does not know (written as <paramref name="unknownId"/>) gives way to one it knows.
    /// </summary>
    internal int ValueAt(int field, long time, int unknownId)
    {
        var values = _values[field];
        var (foundTime, found) = (long.MinValue, unknownId);
        var any = false;
        foreach (var (known, tokenId) in values)
        {
            if (known > time)
                continue;
            if (!any || known > foundTime || (known == foundTime && Before(tokenId, found, unknownId)))
                (foundTime, found, any) = (known, tokenId, true);
        }
        return found;
    }

    /// <summary>Whether <paramref name="candidate"/> wins over <paramref name="current"/> among values of one time: a
    /// known value over the unknown one, then the lower token id.</summary>
    private static bool Before(int candidate, int current, int unknownId) =>
        candidate != unknownId && (current == unknownId || candidate < current);
}
