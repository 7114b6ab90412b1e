namespace FhirRisk.Meds.Tasks;

/// <summary>
/// A set of MEDS code prefixes. A prefix matches a code equal to it or continuing it after a <c>//</c> separator, so
/// <c>HOSPITAL_DISCHARGE</c> matches <c>HOSPITAL_DISCHARGE//HOME</c> but not <c>HOSPITAL_DISCHARGES</c>, and
/// <c>HOSPITAL_DISCHARGE//DIED</c> matches that disposition only. Matching is ordinal (MEDS codes are case-sensitive).
/// </summary>
public sealed class CodeSet
{
    private const string Separator = "//";

    public CodeSet(params string[] prefixes)
    {
        ArgumentNullException.ThrowIfNull(prefixes);
        foreach (var prefix in prefixes)
        {
            ArgumentException.ThrowIfNullOrEmpty(prefix, nameof(prefixes));
            if (prefix.EndsWith(Separator, StringComparison.Ordinal))
                throw new ArgumentException($"Code prefix '{prefix}' must not end with '{Separator}'; the separator is implied.", nameof(prefixes));
        }
        Prefixes = prefixes;
    }

    public static CodeSet Empty { get; } = new();

    /// <summary>The prefixes in the order given (for stop codes: priority order, used to name the deciding code).</summary>
    public IReadOnlyList<string> Prefixes { get; }

    public bool Contains(string code) => RankOf(code) < Prefixes.Count;

    /// <summary>The index of the first prefix matching <paramref name="code"/>, or <see cref="Prefixes"/>.Count when none does.</summary>
    public int RankOf(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        for (var i = 0; i < Prefixes.Count; i++)
        {
            if (Matches(code, Prefixes[i]))
                return i;
        }
        return Prefixes.Count;
    }

    /// <summary>Both sets' prefixes, this set's first.</summary>
    public CodeSet Union(CodeSet other) => new([.. Prefixes, .. other.Prefixes.Except(Prefixes, StringComparer.Ordinal)]);

    public static bool Matches(string code, string prefix) =>
        code.StartsWith(prefix, StringComparison.Ordinal)
        && (code.Length == prefix.Length || code.AsSpan(prefix.Length).StartsWith(Separator, StringComparison.Ordinal));

    public override string ToString() => string.Join(", ", Prefixes);
}
