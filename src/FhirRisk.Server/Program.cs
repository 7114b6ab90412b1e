using FhirRisk.Server;
using FhirRisk.Server.CdsHooks;

// Composition only (STYLE: eShop). Settings: appsettings.json, FHIRRISK_* environment variables, command line.
var builder = WebApplication.CreateSlimBuilder(args);
builder.AddFhirRiskConfiguration(args);
builder.AddFhirRiskHttp();
builder.AddFhirRiskMetrics();
builder.AddFhirRiskTimelineStore();
builder.AddFhirRiskPredictions();
builder.AddFhirRiskGrpc();
builder.Services.AddCdsHooks(builder.Configuration);

var app = builder.Build();
app.MapFhirRiskOperations();
app.MapFhirRiskHttp();
app.MapFhirRiskGrpc();
app.MapCdsHooks();
app.Run();
