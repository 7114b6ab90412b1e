using FhirRisk.Server;

// Composition only (STYLE: eShop). Settings: appsettings.json, FHIRRISK_* environment variables, command line.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Configuration.AddEnvironmentVariables(prefix: "FHIRRISK_");
builder.AddFhirRiskHttp();
builder.AddFhirRiskTimelineStore();
builder.AddFhirRiskPredictions();
builder.AddFhirRiskGrpc();

var app = builder.Build();
app.MapFhirRiskHttp();
app.MapFhirRiskGrpc();
app.Run();
