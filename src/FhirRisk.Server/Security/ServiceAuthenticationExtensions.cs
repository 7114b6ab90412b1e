using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Security;

/// <summary>Client authentication of FHIR push and gRPC (docs/operations.md "Authentication of FHIR push and gRPC").</summary>
internal static class ServiceAuthenticationExtensions
{
    /// <summary>The <c>ServiceAuthentication</c> section, validated at start.</summary>
    public static WebApplicationBuilder AddFhirRiskServiceAuthentication(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ServiceAuthenticationOptions>()
            .Bind(builder.Configuration.GetSection(ServiceAuthenticationOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ServiceAuthenticationOptions>>(_ => new ServiceAuthenticationOptionsValidator(builder.Configuration));
        builder.Services.AddSingleton(p => p.GetRequiredService<IOptions<ServiceAuthenticationOptions>>().Value);
        return builder;
    }

    /// <summary>Call before mapping FHIR push and gRPC: every call to them is then checked. Warns when the check is
    /// off, or when no client is configured, so every call will be refused.</summary>
    public static WebApplication UseFhirRiskServiceAuthentication(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<ServiceAuthenticationOptions>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FhirRisk.Server.Security");
        if (options.Mode == ServiceAuthenticationMode.LocalDemo)
            SecurityLog.ServiceLocalDemoMode(logger);
        else if (options.Clients.Count == 0)
            SecurityLog.NoServiceClients(logger);
        else if (options.Clients.Where(c => c.Scopes.Count == 0).Select(c => c.Name).ToArray() is { Length: > 0 } unscoped)
            SecurityLog.ServiceClientsWithAllScopes(logger, string.Join(", ", unscoped));
        app.UseMiddleware<ServiceAuthenticationMiddleware>();
        return app;
    }
}
