using System.Collections.Concurrent;

namespace FhirRisk.Tokenizer.Internal;

/// <summary>How one code is written: its token ids, how much of it they keep and, for a quantized code, its deciles.</summary>
internal sealed record CodePlan(int[] TokenIds, CodeCoverage Coverage, CodeQuantiles? Quantiles);

/// <summary>
/// Code → <see cref="CodePlan"/>, with the back-off of DESIGN §4: the code's own token; for a split ICD family the
/// category, the longest known prefix of characters 4–6, and the suffix only after the whole remainder; for another
/// hierarchy the nearest known ancestor; then <c>UNK//&lt;vocab&gt;</c>, then <c>UNK</c>. Plans are cached per code, so
/// encoding costs one dictionary lookup per event.
/// </summary>
internal sealed class CodePlanner(Vocabulary vocabulary, TokenizerSettings settings, IReadOnlyDictionary<string, CodeQuantiles> quantiles)
{
    // Codes are few (tens of thousands); the bound only stops a stream of invented codes from growing memory forever.
    private const int MaxCachedPlans = 1 << 20;

    private readonly ConcurrentDictionary<string, CodePlan> _plans = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reserved = ReservedTokens(settings);

    public CodePlan Plan(string code)
    {
        if (_plans.TryGetValue(code, out var plan))
            return plan;
        plan = Build(code);
        if (_plans.Count < MaxCachedPlans)
            _plans.TryAdd(code, plan);
        return plan;
    }

    /// <summary>The tokens a code is written as when every one of them is known (what fitting counts).</summary>
    public static IEnumerable<string> FullTokens(string code, IReadOnlyList<CodeHierarchy> hierarchies)
    {
        if (CodeHierarchy.Find(hierarchies, code) is { Split: true } family)
        {
            var (category, remainder, suffix) = family.Parts(code);
            yield return family.CategoryToken(category);
            if (remainder.Length > 0)
                yield return family.RemainderToken(remainder);
            if (suffix.Length > 0)
                yield return family.SuffixToken(suffix);
            yield break;
        }
        yield return code;
    }

    /// <summary>Names a code may not take: reserved, static and unknown tokens mean something else to the decoder.</summary>
    public static HashSet<string> ReservedTokens(TokenizerSettings settings)
    {
        var reserved = new HashSet<string>(StringComparer.Ordinal) { Vocabulary.TimelineEnd, Vocabulary.Unknown, Vocabulary.AgeUnknown };
        reserved.UnionWith(settings.Intervals.Select(i => i.Name));
        reserved.UnionWith(Enumerable.Range(1, CodeQuantiles.BinCount).Select(Vocabulary.QuantileToken));
        return reserved;
    }

    private CodePlan Build(string code)
    {
        if (_reserved.Contains(code) || code.StartsWith(Vocabulary.UnknownPrefix, StringComparison.Ordinal))
            return Unknown(code);
        var family = CodeHierarchy.Find(settings.Hierarchies, code);
        if (family is { Split: true })
            return SplitPlan(family, code);
        if (vocabulary.TryGetId(code, out var id))
            return new CodePlan([id], CodeCoverage.Exact, quantiles.GetValueOrDefault(code));
        if (family is not null)
        {
            foreach (var ancestor in family.Ancestors(code))
            {
                if (vocabulary.TryGetId(ancestor, out var ancestorId))
                    return new CodePlan([ancestorId], CodeCoverage.Ancestor, null);
            }
        }
        return Unknown(code);
    }

    private CodePlan SplitPlan(CodeHierarchy family, string code)
    {
        var (category, remainder, suffix) = family.Parts(code);
        if (!vocabulary.TryGetId(family.CategoryToken(category), out var categoryId))
            return Unknown(code);
        for (var length = remainder.Length; length > 0; length--)
        {
            if (!vocabulary.TryGetId(family.RemainderToken(remainder[..length]), out var remainderId))
                continue;
            if (length < remainder.Length)
                return new CodePlan([categoryId, remainderId], CodeCoverage.Ancestor, null);
            if (suffix.Length == 0)
                return new CodePlan([categoryId, remainderId], CodeCoverage.Exact, null);
            return vocabulary.TryGetId(family.SuffixToken(suffix), out var suffixId)
                ? new CodePlan([categoryId, remainderId, suffixId], CodeCoverage.Exact, null)
                : new CodePlan([categoryId, remainderId], CodeCoverage.Ancestor, null);
        }
        return new CodePlan([categoryId], remainder.Length == 0 && suffix.Length == 0 ? CodeCoverage.Exact : CodeCoverage.Ancestor, null);
    }

    private CodePlan Unknown(string code) => new([UnknownId(code)], CodeCoverage.Unknown, null);

    private int UnknownId(string code) =>
        vocabulary.TryGetId(Vocabulary.UnknownPrefix + Vocabulary.VocabularyOf(code), out var id) ? id : vocabulary.IdOf(Vocabulary.Unknown);
}
