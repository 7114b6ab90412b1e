using FhirRisk.Core;

namespace FhirRisk.Training.Evaluation;

/// <summary>
/// Evaluation inputs that cannot be evaluated (an unreadable or mismatched predictions file, a few-shot pool without
/// positives). Carries the <see cref="Core.Issue"/> with a stable code and the file/row it concerns.
/// </summary>
public sealed class EvaluationInputException : Exception
{
    public EvaluationInputException(Issue issue, string? hint = null)
        : base(hint is null ? issue.ToString() : $"{issue} Hint: {hint}")
    {
        Issue = issue;
        Hint = hint;
    }

    public Issue Issue { get; }

    /// <summary>What to do about it, when there is something more specific to say than the message.</summary>
    public string? Hint { get; }
}
