using FhirRisk.Core;

namespace FhirRisk.Meds;

/// <summary>
/// Thrown by the MEDS readers when a file cannot be read as MEDS (a required column missing or wrongly typed, a null
/// subject id, …). Carries the same <see cref="Core.Issue"/> (code and path) that <see cref="MedsValidator"/> reports.
/// </summary>
public sealed class MedsFormatException : Exception
{
    public MedsFormatException(Issue issue)
        : base($"{issue} Hint: run `fhirrisk meds validate <dir>` to list every problem.")
    {
        Issue = issue;
    }

    public Issue Issue { get; }
}
