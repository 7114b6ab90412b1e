using System.Net;
using FhirRisk.Grpc.V1;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.CdsHooks;
using FhirRisk.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.Risk;

/// <summary>
/// Only a <see cref="PatientInputException"/>'s curated text reaches a caller; any other ArgumentException, whose
/// framework message may quote a value of the record, is answered with generic text (review phi.md #9).
/// </summary>
public sealed class PatientInputErrorTests
{
    private const string PatientData = "ZQX Quarvenholt MRN-ZQX-778899";
    private const string Curated = "Supplied FHIR document 0 is not usable (FHIR001).";

    private static readonly PredictRequest Predict = new() { Patient = new PatientInput { Stored = new StoredPatient { PatientId = "p1" } } };

    public static TheoryData<string> Failures => new() { "framework", "curated" };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Grpc_answers_INVALID_ARGUMENT_with_curated_text_only(string failure)
    {
        var risks = new FakePatientRiskService { Behavior = _ => throw Failure(failure) };
        await using var server = await TestFhirRiskServer.StartAsync(configure: services => services.AddSingleton<IPatientRiskService>(risks));
        await server.WaitUntilReadyAsync();
        using var client = new RawGrpcClient(new Uri($"http://{server.GrpcAddress}"));

        var response = await client.PostAsync("/fhirrisk.v1.RiskService/Predict", RawGrpcClient.Frame(Predict));

        Assert.Equal((int)GrpcStatusCode.InvalidArgument, response.GrpcStatus);
        Assert.DoesNotContain("ZQX", response.GrpcMessage ?? "", StringComparison.Ordinal);
        Assert.Equal(failure == "curated", (response.GrpcMessage ?? "").Contains(Curated, StringComparison.Ordinal));
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains("ZQX", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Cds_Hooks_answers_400_with_curated_text_only(string failure)
    {
        await using var server = await TestCdsServer.StartAsync();
        server.Risks.Behavior = _ => throw Failure(failure);

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain("ZQX", body, StringComparison.Ordinal);
        Assert.Equal(failure == "curated", body.Contains(Curated, StringComparison.Ordinal));
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains("ZQX", StringComparison.Ordinal));
    }

    // What a Dictionary or a range check inside the mapping would throw, quoting a value of the record.
    private static ArgumentException Failure(string kind) => kind == "curated"
        ? new PatientInputException(Curated, "supplied")
        : new ArgumentException($"An item with the same key has already been added. Key: {PatientData}", "key");
}
