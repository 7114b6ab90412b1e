using FhirRisk.Grpc.V1;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Grpc.Internal;
using FhirRisk.Server.Health;
using FhirRisk.Server.Risk;
using Grpc.Health.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace FhirRisk.Server.Tests.Protocol;

public sealed class GrpcServiceBinderTests
{
    private static readonly GrpcCallEnvironment Environment = new(new GrpcServerOptions(), NullLogger.Instance, TimeProvider.System);

    [Fact]
    public void RiskService_BindsEveryMethodTheProtoDeclares()
    {
        var service = new RiskGrpcService(new UnimplementedRiskServiceBackend(new HealthStatusRegistry(NullLogger<HealthStatusRegistry>.Instance)));
        var binder = new GrpcServiceBinder(service.Descriptor, Environment);

        service.Bind(binder);

        Assert.Equal(RiskGrpcService.ServiceName, service.Descriptor.FullName);
        Assert.Equal(
            service.Descriptor.Methods.Select(m => $"/fhirrisk.v1.RiskService/{m.Name}").Order(),
            binder.Handlers.Select(h => h.Path).Order());
        Assert.Equal(["Embed", "Explain", "Generate", "Ingest", "Predict", "PredictStream"], service.Descriptor.Methods.Select(m => m.Name).Order());
    }

    [Fact]
    public void HealthService_BindsCheckListAndWatch()
    {
        var service = new HealthGrpcService(new HealthStatusRegistry(NullLogger<HealthStatusRegistry>.Instance));
        var binder = new GrpcServiceBinder(service.Descriptor, Environment);

        service.Bind(binder);

        Assert.Equal("grpc.health.v1.Health", service.Descriptor.FullName);
        Assert.Equal(["/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/List", "/grpc.health.v1.Health/Watch"], binder.Handlers.Select(h => h.Path).Order());
    }

    [Fact]
    public void Unary_ForAStreamingMethod_Throws()
    {
        var binder = new GrpcServiceBinder(HealthReflection.Descriptor.Services[0], Environment);

        Assert.Throws<InvalidOperationException>(() =>
            binder.Unary<HealthCheckRequest, HealthCheckResponse>("Watch", (_, _) => Task.FromResult(new HealthCheckResponse())));
    }

    [Fact]
    public void Unary_WithOtherMessageTypes_Throws()
    {
        var binder = new GrpcServiceBinder(HealthReflection.Descriptor.Services[0], Environment);

        Assert.Throws<InvalidOperationException>(() =>
            binder.Unary<PredictRequest, HealthCheckResponse>("Check", (_, _) => Task.FromResult(new HealthCheckResponse())));
    }

    [Fact]
    public void Unary_UndeclaredOrTwice_Throws()
    {
        var binder = new GrpcServiceBinder(HealthReflection.Descriptor.Services[0], Environment);
        binder.Unary<HealthCheckRequest, HealthCheckResponse>("Check", (_, _) => Task.FromResult(new HealthCheckResponse()));

        Assert.Throws<InvalidOperationException>(() =>
            binder.Unary<HealthCheckRequest, HealthCheckResponse>("Check", (_, _) => Task.FromResult(new HealthCheckResponse())));
        Assert.Throws<InvalidOperationException>(() =>
            binder.Unary<HealthCheckRequest, HealthCheckResponse>("Probe", (_, _) => Task.FromResult(new HealthCheckResponse())));
    }
}
