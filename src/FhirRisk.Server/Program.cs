using FhirRisk.Server;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Health;
using FhirRisk.Server.Security;

// Composition only (STYLE: eShop). Settings: appsettings.json, FHIRRISK_* environment variables, command line.
if (args is [LivenessProbe.Verb, ..])
    return await LivenessProbe.RunAsync(args[1..]); // the image's HEALTHCHECK
IConfiguration? settings = null; // once read: a port in use is then reported with the listener that asked for it
try
{
    // Settings are read as the builder is made, and validated as the host is built, mapped and started.
    var builder = WebApplication.CreateSlimBuilder(args);
    settings = builder.AddFhirRiskConfiguration(args).Configuration;
    builder.AddFhirRiskHttp();
    builder.AddFhirRiskMetrics();
    builder.AddFhirRiskTimelineStore();
    builder.AddFhirRiskPredictions();
    builder.AddFhirRiskGrpc();
    builder.AddFhirRiskServiceAuthentication();
    builder.Services.AddCdsHooks(builder.Configuration);
    var app = builder.Build();
    app.MapFhirRiskOperations();
    app.UseFhirRiskServiceAuthentication();
    app.MapFhirRiskHttp();
    app.MapFhirRiskGrpc();
    app.MapCdsHooks();
    app.Run();
    return 0;
}
catch (Exception e) when (FhirRiskOperationsExtensions.DescribeStartupFailure(e, settings) is { } reason)
{
    // A bad setting or settings file, or a port that cannot be bound: one line, exit 1 (not an abort with a trace).
    Console.Error.WriteLine($"fhirrisk server: {reason}");
    return 1;
}
