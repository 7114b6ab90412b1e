using System.Net.Http.Json;
using System.Text;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>The CDS Hooks surface as Program.cs composes it (AddCdsHooks/MapCdsHooks) on 127.0.0.1 and a free port,
/// with a <see cref="FakePatientRiskService"/>, LocalDemo authentication unless a test says otherwise, and captured logs.</summary>
internal sealed class TestCdsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestCdsServer(WebApplication app, CapturingLoggerProvider logs, int port)
    {
        (_app, Logs) = (app, logs);
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }

    public CapturingLoggerProvider Logs { get; }

    public FakePatientRiskService Risks => (FakePatientRiskService)_app.Services.GetRequiredService<IPatientRiskService>();

    public IFeedbackStore Feedback => _app.Services.GetRequiredService<IFeedbackStore>();

    public IServiceProvider Services => _app.Services;

    /// <param name="configure">Registrations after the fakes, before <c>AddCdsHooks</c> (which keeps them).</param>
    public static async Task<TestCdsServer> StartAsync(IDictionary<string, string?>? settings = null, TimeProvider? time = null,
        Action<IServiceCollection>? configure = null)
    {
        var (builder, logs) = TestHost.CreateBuilder(AppContext.BaseDirectory, new Dictionary<string, string?>
        {
            ["CdsHooks:Host"] = "127.0.0.1",
            ["CdsHooks:Port"] = "0",
            ["CdsHooks:Authentication:Mode"] = "LocalDemo",
            // Generous, so a loaded CI machine never times out a healthy fake server; the fault tests set short ones.
            ["CdsHooks:Fhir:AttemptTimeout"] = "00:00:05",
            ["CdsHooks:Fhir:TotalTimeout"] = "00:00:10",
            ["CdsHooks:Fhir:RetryDelay"] = "00:00:00.020",
            ["CdsHooks:Links:0:Label"] = "About the model",
            ["CdsHooks:Links:0:Url"] = "https://fhirrisk.example.org/model",
            ["Logging:LogLevel:Default"] = "Debug",
        }, settings);
        if (time is not null)
            builder.Services.AddSingleton(time);
        builder.Services.AddSingleton<IPatientRiskService, FakePatientRiskService>();
        configure?.Invoke(builder.Services);
        builder.Services.AddCdsHooks(builder.Configuration);
        var app = builder.Build();
        app.MapCdsHooks();
        await TestHost.StartAsync(app, TimeSpan.FromSeconds(30));
        return new TestCdsServer(app, logs, TestHost.Ports(app).Single());
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json, string? bearer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (bearer is not null)
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        return Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await TestHost.StopAsync(_app, TimeSpan.FromSeconds(30));
    }
}

/// <summary>Self-made hook requests (the feature is tested without the spec folder too).</summary>
internal static class CdsRequests
{
    public static string Hook(string hook, string patientId = "p1", string? fhirServer = null, string? prefetch = null, string encounterId = "e1")
    {
        var server = fhirServer is null ? "" : $$""","fhirServer":"{{fhirServer}}","fhirAuthorization":{"access_token":"secret-token","token_type":"Bearer","expires_in":300,"scope":"patient/*.read","subject":"fhirrisk"}""";
        var pre = prefetch is null ? "" : $$""","prefetch":{{prefetch}}""";
        return $$"""{"hook":"{{hook}}","hookInstance":"{{Guid.NewGuid()}}","context":{"userId":"Practitioner/u1","patientId":"{{patientId}}","encounterId":"{{encounterId}}"}{{server}}{{pre}}}""";
    }

    public const string PatientPrefetch = """{"patient":{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-01-01"},"encounters":{"resourceType":"Bundle","type":"searchset","entry":[]},"conditions":null,"observations":{"resourceType":"Bundle","type":"searchset","entry":[]},"medicationRequests":{"resourceType":"Bundle","type":"searchset","entry":[]},"procedures":{"resourceType":"Bundle","type":"searchset","entry":[]},"medicationAdministrations":null,"medicationDispenses":null,"medicationStatements":null,"immunizations":null,"allergies":null}""";
}
