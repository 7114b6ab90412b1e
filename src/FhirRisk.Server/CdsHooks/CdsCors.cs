using Microsoft.AspNetCore.Cors.Infrastructure;

namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// CORS for browser-based CDS clients (spec §"Cross-Origin Resource Sharing"; the reference services' headers):
/// GET, POST and OPTIONS with <c>Content-Type</c> and <c>Authorization</c>. <c>*</c> allows any origin without
/// credentials (the JWT travels in a header, not a cookie); a list of origins allows those with credentials.
/// </summary>
internal static class CdsCors
{
    public static void Configure(CorsPolicyBuilder policy, CdsHooksOptions options)
    {
        policy.WithMethods("GET", "POST", "OPTIONS")
            .WithHeaders("Content-Type", "Authorization")
            .WithExposedHeaders("Origin", "Accept", "Content-Location", "Location", "X-Requested-With")
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10));
        var origins = options.EffectiveCorsOrigins;
        if (origins.Contains("*"))
            policy.AllowAnyOrigin();
        else
            policy.WithOrigins([.. origins]).AllowCredentials();
    }
}
