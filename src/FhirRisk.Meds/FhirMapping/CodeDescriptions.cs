using System.Collections.Concurrent;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// Readable names of the codes a mapping wrote, from the <c>display</c> of the coding each code was taken from
/// (<c>LOINC//8867-4</c> → "Heart rate"): what a CDS Hooks card shows in place of the code, and what ingestion writes as
/// <c>metadata/codes.parquet</c>'s <c>description</c>. Keyed by the code as the concept gave it, before a unit is appended
/// to a measurement's code (<c>LOINC//8867-4</c>, not <c>LOINC//8867-4///min</c>): one name for one concept, whatever unit
/// a result came in. Where codings of one code carry different displays, the ordinally least is kept, so the name does
/// not depend on the order resources are mapped in (ingestion maps in parallel). Thread-safe.
/// </summary>
public sealed class CodeDescriptions
{
    /// <summary>Longer displays are cut: a name, not a note.</summary>
    public const int MaxLength = 120;

    /// <summary>Codes remembered at most (a source that invented a code per resource would otherwise grow this without
    /// bound); codes past it keep no name.</summary>
    public const int MaxCodes = 200_000;

    private readonly ConcurrentDictionary<string, string> _byCode = new(StringComparer.Ordinal);
    private volatile bool _full;

    /// <summary>How many codes have a name.</summary>
    public int Count => _byCode.Count;

    /// <summary>Remembers <paramref name="coding"/>'s display as the name of <paramref name="code"/> (the code the
    /// mapping took from it). A coding without a display, or with only blanks, names nothing.</summary>
    public void Add(string code, FhirCoding? coding) => Add(code, coding?.Display);

    /// <summary>Remembers <paramref name="display"/> as the name of <paramref name="code"/>.</summary>
    public void Add(string code, string? display)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (Clean(display) is not { } name)
            return;
        while (true)
        {
            if (!_byCode.TryGetValue(code, out var held))
            {
                // Count takes every lock of the dictionary: asked per new code until the cap, then never again. Past the
                // cap, which codes have a name depends on the order they came in.
                if (_full || (_full = _byCode.Count >= MaxCodes) || _byCode.TryAdd(code, name))
                    return;
                continue;
            }
            // The same display arrives as the same string most of the time (the parser caches short strings).
            if (ReferenceEquals(held, name) || string.CompareOrdinal(name, held) >= 0 || _byCode.TryUpdate(code, name, held))
                return;
        }
    }

    /// <summary>The name of <paramref name="code"/>, or null.</summary>
    public string? Of(string code) => _byCode.GetValueOrDefault(code);

    /// <summary>Every name, by code (a copy, ordered by code).</summary>
    public IReadOnlyDictionary<string, string> ToDictionary() =>
        new SortedDictionary<string, string>(_byCode, StringComparer.Ordinal);

    /// <summary>
    /// The name of a code as data writes it: its own, or, for a measurement's code with its unit appended
    /// (<c>LOINC//2160-0//mg/dL</c>), the concept's (<c>LOINC//2160-0</c>).
    /// </summary>
    public static string? Lookup(IReadOnlyDictionary<string, string> names, string code)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(code);
        if (names.TryGetValue(code, out var name))
            return name;
        // The unit follows the concept's code after "//" and may itself start with a slash (LOINC//8867-4///min): each
        // separator from the right is tried, the vocabulary's own (the first) never.
        var first = code.IndexOf("//", StringComparison.Ordinal);
        for (var cut = code.LastIndexOf("//", StringComparison.Ordinal); cut > first; cut = code.LastIndexOf("//", cut, StringComparison.Ordinal))
        {
            if (names.TryGetValue(code[..cut], out name))
                return name;
        }
        return null;
    }

    // One line of text: whitespace runs (line breaks included) become one space; control and format characters go (a
    // right-to-left override would turn the card text after it around); the result is cut to MaxLength, never inside a
    // surrogate pair.
    private static string? Clean(string? display)
    {
        if (string.IsNullOrWhiteSpace(display))
            return null;
        var trimmed = display.Trim();
        var plain = true;
        foreach (var c in trimmed)
        {
            if (Dropped(c) || (char.IsWhiteSpace(c) && c != ' '))
            {
                plain = false;
                break;
            }
        }
        var text = plain && !trimmed.Contains("  ", StringComparison.Ordinal)
            ? trimmed
            : string.Join(' ', trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(part => new string([.. part.Where(c => !Dropped(c))]))
                .Where(part => part.Length > 0));
        if (text.Length == 0)
            return null;
        return Cut(text, MaxLength);
    }

    private static bool Dropped(char c) => char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format;

    /// <summary><paramref name="text"/> cut to <paramref name="length"/> characters with an ellipsis, never between the two
    /// halves of a surrogate pair.</summary>
    public static string Cut(string text, int length)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length <= length)
            return text;
        var keep = length - 1;
        if (keep > 0 && char.IsHighSurrogate(text[keep - 1]))
            keep--;
        return string.Concat(text.AsSpan(0, keep), "…");
    }
}
