using FhirRisk.Server;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Security;

// Composition only (STYLE: eShop). Settings: appsettings.json, FHIRRISK_* environment variables, command line.
var builder = WebApplication.CreateSlimBuilder(args);
builder.AddFhirRiskConfiguration(args);
builder.AddFhirRiskHttp();
builder.AddFhirRiskMetrics();
builder.AddFhirRiskTimelineStore();
builder.AddFhirRiskPredictions();
builder.AddFhirRiskGrpc();
builder.AddFhirRiskServiceAuthentication();
builder.Services.AddCdsHooks(builder.Configuration);

try
{
    // Settings are validated as the host is built, mapped and started.
    var app = builder.Build();
    app.MapFhirRiskOperations();
    app.UseFhirRiskServiceAuthentication();
    app.MapFhirRiskHttp();
    app.MapFhirRiskGrpc();
    app.MapCdsHooks();
    app.Run();
    return 0;
}
catch (Exception e) when (FhirRiskOperationsExtensions.IsSettingsError(e))
{
    // A bad setting stops the server before it listens: one line naming the key, exit 1 (not an abort with a trace).
    Console.Error.WriteLine($"fhirrisk server: invalid settings: {e.Message}");
    return 1;
}
