using FhirRisk.Core;

namespace FhirRisk.Tokenizer;

/// <summary>Stable codes of <see cref="TokenizationException"/>; documented in docs/formats/token-shard.md, "Errors".</summary>
public static class TokenizerIssueCodes
{
    /// <summary>More timeline events than the allowed share have codes the vocabulary does not know at all: the
    /// tokenizer was fitted on another kind of data, and a model would read mostly <c>UNK</c> tokens.</summary>
    public const string TooManyUnknownCodes = "TOK001";

    /// <summary>A shard directly in <c>data/</c> and a shard in a split folder would write the same token shard path.</summary>
    public const string ShardPathCollision = "TOK002";
}

/// <summary>
/// Thrown by <see cref="DatasetTokenization.Run"/> when the dataset can be read but must not be tokenized as asked.
/// Problems with the MEDS data itself (unsorted times, a subject filed under the wrong split) are
/// <see cref="Meds.MedsFormatException"/>s with the codes <c>fhirrisk meds validate</c> reports.
/// </summary>
public sealed class TokenizationException(Issue issue, string hint) : Exception($"{issue.Message} Hint: {hint}")
{
    public Issue Issue { get; } = issue;

    /// <summary>What to do about it, one sentence.</summary>
    public string Hint { get; } = hint;
}
