namespace FhirRisk.Server.Patients;

/// <summary>
/// The caller's patient input cannot be used: a supplied document that is not usable, several patients, an unknown task,
/// heads asked of a model without them. Its message is written here, for the caller, and names an index, an issue code, a
/// task or a setting, never patient data; it is the only <see cref="ArgumentException"/> whose message reaches a caller
/// (CDS Hooks 400, gRPC INVALID_ARGUMENT). Any other is answered with generic text, as <c>GrpcErrorFunnel</c> does:
/// framework messages quote values ("Key: …", "Actual value was …"; review phi.md #9).
/// </summary>
public sealed class PatientInputException : ArgumentException
{
    public PatientInputException(string curated, string? paramName = null, Exception? inner = null)
        : base(curated, paramName, inner) => Curated = curated;

    /// <summary>The message without the " (Parameter '…')" suffix <see cref="ArgumentException.Message"/> adds.</summary>
    public string Curated { get; }
}
