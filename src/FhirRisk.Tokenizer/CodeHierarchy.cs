namespace FhirRisk.Tokenizer;

/// <summary>
/// A hierarchical code family whose ancestors are prefixes of the code, like ICD (reference/ethos.md §1.5): an unseen
/// code backs off to its nearest known ancestor before <c>UNK//&lt;vocab&gt;</c>. A <see cref="Split"/> family is also
/// written as subtokens, as ETHOS writes ICD-10-CM: the category (<c>ICD10CM//E11</c>), characters 4–6
/// (<c>ICD10CM//3-6//65</c>) and characters 7+ (<c>ICD10CM//SFX//A</c>), so that rare codes share what they have in common.
/// </summary>
/// <param name="Prefix">The code prefix naming the family, e.g. <c>ICD10CM//</c> or <c>DIAGNOSIS//ICD//10//</c>.</param>
/// <param name="CategoryLength">Characters of the category, the shortest ancestor (3 for ICD-CM, 2 for ICD-9 procedures).</param>
/// <param name="Separator">The character the family writes after the category (<c>.</c> in ICD10CM//E11.9, none in
/// MIMIC's E119). Parsing accepts the code with or without it; decoding writes it.</param>
/// <param name="Split">Whether codes are written as category + remainder + suffix subtokens.</param>
public sealed record CodeHierarchy(string Prefix, int CategoryLength, string Separator, bool Split)
{
    /// <summary>Infix of the subtoken holding characters 4–6 (after the category).</summary>
    public const string RemainderInfix = "3-6//";

    /// <summary>Infix of the subtoken holding characters 7 and later.</summary>
    public const string SuffixInfix = "SFX//";

    private const int RemainderLength = 3;

    /// <summary>The ICD families of our ingestion (DESIGN §3 names) and of MIMIC-IV MEDS (<c>DIAGNOSIS//ICD//10//…</c>).</summary>
    public static IReadOnlyList<CodeHierarchy> Icd { get; } =
    [
        new("ICD10CM//", 3, ".", Split: true),
        new("ICD10//", 3, ".", Split: true),
        new("DIAGNOSIS//ICD//10//", 3, "", Split: true),
        new("ICD9CM//", 3, ".", Split: false),
        new("DIAGNOSIS//ICD//9//", 3, "", Split: false),
        new("ICD10PCS//", 3, "", Split: false),
        new("PROCEDURE//ICD//10//", 3, "", Split: false),
        new("ICD9PROC//", 2, ".", Split: false),
        new("PROCEDURE//ICD//9//", 2, "", Split: false),
    ];

    /// <summary>True when <paramref name="code"/> belongs to the family and is at least a category long.</summary>
    public bool Matches(string code) =>
        code.StartsWith(Prefix, StringComparison.Ordinal) && code.Length >= Prefix.Length + CategoryLength;

    /// <summary>The code's parts after the prefix: category, characters 4–6 and 7+ (empty when absent), separator removed.</summary>
    public (string Category, string Remainder, string Suffix) Parts(string code)
    {
        var body = code.AsSpan(Prefix.Length);
        var category = body[..CategoryLength].ToString();
        var rest = body[CategoryLength..];
        if (Separator.Length > 0 && rest.StartsWith(Separator, StringComparison.Ordinal))
            rest = rest[Separator.Length..];
        var remainder = rest[..Math.Min(RemainderLength, rest.Length)].ToString();
        var suffix = rest[remainder.Length..].ToString();
        return (category, remainder, suffix);
    }

    /// <summary>The code written in the family's own form: prefix, category, then separator and the rest when any.</summary>
    public string Join(string category, string remainder, string suffix) =>
        remainder.Length + suffix.Length == 0 ? Prefix + category : string.Concat(Prefix, category, Separator, remainder, suffix);

    public string CategoryToken(string category) => Prefix + category;

    public string RemainderToken(string remainder) => Prefix + RemainderInfix + remainder;

    public string SuffixToken(string suffix) => Prefix + SuffixInfix + suffix;

    /// <summary>
    /// Ancestors of <paramref name="code"/> from nearest to farthest, ending at its category: <c>ICD9CM//428.21</c> gives
    /// <c>ICD9CM//428.2</c>, <c>ICD9CM//428</c> (a trailing separator is never left on).
    /// </summary>
    public IEnumerable<string> Ancestors(string code)
    {
        var minimum = Prefix.Length + CategoryLength;
        for (var length = code.Length - 1; length >= minimum; length--)
        {
            var ancestor = code[..length];
            if (Separator.Length > 0 && ancestor.EndsWith(Separator, StringComparison.Ordinal))
                continue;
            yield return ancestor;
        }
    }

    /// <summary>The family of <paramref name="code"/> among <paramref name="families"/> (the longest matching prefix), or null.</summary>
    public static CodeHierarchy? Find(IReadOnlyList<CodeHierarchy> families, string code)
    {
        CodeHierarchy? best = null;
        foreach (var family in families)
        {
            if (family.Matches(code) && (best is null || family.Prefix.Length > best.Prefix.Length))
                best = family;
        }
        return best;
    }
}
