namespace FhirRisk.Training;

/// <summary>
/// The one exception training verbs (pretraining, finetuning, probes and the count baseline) raise for bad input or a
/// failed save (issue 6 item 7). The message names the file or folder, says what is wrong and ends with <c>Hint:</c>
/// and the fix; <see cref="Code"/> is stable for tests and callers to branch on: one of
/// <see cref="Pretraining.PretrainingErrorCodes"/>, <see cref="Finetuning.FinetuningErrorCodes"/> or
/// <see cref="Probes.ProbeErrorCodes"/>.
/// </summary>
public sealed class TrainingException : Exception
{
    public TrainingException(string code, string path, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        Path = path;
    }

    /// <summary>Stable error code (PT…, FT…, PR…).</summary>
    public string Code { get; }

    /// <summary>The file or folder the problem is in.</summary>
    public string Path { get; }

    /// <summary>The message without the code and path prefix.</summary>
    public string Detail => base.Message;

    public override string Message => $"[{Code}] {Path}: {base.Message}";

    /// <summary>The problem of an inner error's message without its own "Hint: …", so that a message wrapping it
    /// carries one hint, not two that may disagree.</summary>
    internal static string WithoutHint(string message)
    {
        var hint = message.IndexOf(" Hint: ", StringComparison.Ordinal);
        return hint < 0 ? message : message[..hint];
    }
}
