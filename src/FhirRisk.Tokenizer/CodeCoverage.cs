using System.Globalization;
using FhirRisk.Core;

namespace FhirRisk.Tokenizer;

/// <summary>How much of a code the vocabulary knows, i.e. how <see cref="TimelineTokenizer"/> writes it (DESIGN §4 back-off).</summary>
public enum CodeCoverage
{
    /// <summary>Every token of the code is in the vocabulary: the code itself (or its ICD category, remainder and suffix).</summary>
    Exact,

    /// <summary>Only a known ancestor is written: a shorter ICD remainder, the ICD category alone, or a parent code.</summary>
    Ancestor,

    /// <summary>Nothing of the code is known: it is written as <c>UNK//&lt;vocab&gt;</c> or <c>UNK</c>.</summary>
    Unknown,
}

/// <summary>Timeline events counted by the <see cref="CodeCoverage"/> of their codes (static fields and birth are not counted:
/// they go to the prefix).</summary>
public readonly record struct CodeCoverageCounts(long Exact, long Ancestor, long Unknown)
{
    public long Total => Exact + Ancestor + Unknown;

    /// <summary>The share of <paramref name="coverage"/> among <see cref="Total"/>; 0 when nothing was counted.</summary>
    public double Share(CodeCoverage coverage) => Total == 0 ? 0 : (double)Of(coverage) / Total;

    public long Of(CodeCoverage coverage) => coverage switch
    {
        CodeCoverage.Exact => Exact,
        CodeCoverage.Ancestor => Ancestor,
        _ => Unknown,
    };

    /// <summary>These counts with one more event of <paramref name="coverage"/>.</summary>
    public CodeCoverageCounts With(CodeCoverage coverage) => coverage switch
    {
        CodeCoverage.Exact => this with { Exact = Exact + 1 },
        CodeCoverage.Ancestor => this with { Ancestor = Ancestor + 1 },
        _ => this with { Unknown = Unknown + 1 },
    };

    /// <summary>Throws <see cref="TokenizationException"/> (<see cref="TokenizerIssueCodes.TooManyUnknownCodes"/>, naming
    /// <paramref name="path"/>) when more than <paramref name="maxUnknownShare"/> of the events are
    /// <see cref="CodeCoverage.Unknown"/>: a vocabulary fitted on another kind of data, or one whose small-cell rule
    /// left most codes out, whose model would read mostly unknown tokens. Null accepts any share.</summary>
    public void CheckUnknownShare(double? maxUnknownShare, string path)
    {
        if (maxUnknownShare is not { } limit || Share(CodeCoverage.Unknown) <= limit)
            return;
        throw new TokenizationException(Issue.Error(TokenizerIssueCodes.TooManyUnknownCodes, path, string.Create(CultureInfo.InvariantCulture,
            $"{Unknown:N0} of the {Total:N0} timeline events ({Share(CodeCoverage.Unknown):P1}) have codes the tokenizer's vocabulary does not know, above the limit of {limit:P0}: a model would read mostly unknown tokens.")),
            "fit a tokenizer on this data's train split, or raise the limit if encoding it with this vocabulary is intended.");
    }

    public static CodeCoverageCounts operator +(CodeCoverageCounts a, CodeCoverageCounts b) =>
        new(a.Exact + b.Exact, a.Ancestor + b.Ancestor, a.Unknown + b.Unknown);
}
