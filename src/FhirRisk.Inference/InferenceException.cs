namespace FhirRisk.Inference;

/// <summary>
/// The one exception inference raises for a model directory whose parts disagree, a task it cannot answer, or settings
/// it cannot honour. The message names the file or task, says what is wrong and ends with <c>Hint:</c> and the fix;
/// <see cref="Code"/> (one of <see cref="InferenceErrorCodes"/>) is stable for tests and for the service's status mapping.
/// </summary>
public sealed class InferenceException : Exception
{
    public InferenceException(string code, string path, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        Path = path;
    }

    /// <summary>Stable error code, one of <see cref="InferenceErrorCodes"/>.</summary>
    public string Code { get; }

    /// <summary>The file, folder or task the problem is in.</summary>
    public string Path { get; }

    /// <summary>The message without the code and path prefix.</summary>
    public string Detail => base.Message;

    public override string Message => $"[{Code}] {Path}: {base.Message}";
}

/// <summary>Stable codes carried by <see cref="InferenceException.Code"/>; documented in docs/inference.md.</summary>
public static class InferenceErrorCodes
{
    /// <summary>The weights, the tokenizer and the heads of a model directory do not share one vocabulary or width.</summary>
    public const string ModelMismatch = "IN001";

    /// <summary>A query names a task the predictor cannot answer (not in the catalog, or no finetuned head).</summary>
    public const string UnknownTask = "IN002";

    /// <summary>The KV-cache memory cap is below one sequence's cache.</summary>
    public const string MemoryCap = "IN003";

    /// <summary>The weights hold, or the model produced, a NaN or infinite value (a damaged or diverged checkpoint).</summary>
    public const string NonFinite = "IN004";

    /// <summary>A rollout decode step failed for another reason (a compute backend's error); the calls it served fail
    /// with it, and later calls are served as usual.</summary>
    public const string RolloutFailed = "IN005";
}
