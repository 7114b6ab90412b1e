using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Shutdown;

/// <summary>The <c>Shutdown</c> section (docs/operations.md "Graceful shutdown"); validated at start.</summary>
internal sealed class DrainOptions
{
    public const string Section = "Shutdown";

    /// <summary>How long a stopping server lets in-flight work (predictions, pushes) finish before it cancels it.
    /// Default 30 s; keep it below the orchestrator's grace period (Kubernetes: terminationGracePeriodSeconds).</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The host's whole shutdown budget: the drain, then Kestrel closing connections and the services
    /// stopping (HostOptions.ShutdownTimeout).</summary>
    internal TimeSpan ShutdownTimeout => DrainTimeout + TimeSpan.FromSeconds(10);
}

internal sealed class DrainOptionsValidator : IValidateOptions<DrainOptions>
{
    public ValidateOptionsResult Validate(string? name, DrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.DrainTimeout < TimeSpan.Zero || options.DrainTimeout > TimeSpan.FromHours(1)
            ? ValidateOptionsResult.Fail($"Shutdown:DrainTimeout {options.DrainTimeout} is outside 00:00:00-01:00:00.")
            : ValidateOptionsResult.Success;
    }
}
