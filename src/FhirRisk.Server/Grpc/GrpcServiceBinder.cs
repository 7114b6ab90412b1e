using FhirRisk.Server.Grpc.Internal;
using Google.Protobuf;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace FhirRisk.Server.Grpc;

/// <summary>A gRPC service implemented by this server: its descriptor (from the generated code) and its methods.</summary>
internal interface IGrpcService
{
    /// <summary>The service as declared in proto/, e.g. <c>RiskServiceReflection.Descriptor.Services[0]</c>.</summary>
    ServiceDescriptor Descriptor { get; }

    void Bind(GrpcServiceBinder binder);
}

/// <summary>
/// Collects a service's method handlers, checking each against the .proto declaration (name, streaming kind,
/// message types), so a handler cannot drift from the wire contract. Methods left unbound answer UNIMPLEMENTED.
/// </summary>
internal sealed class GrpcServiceBinder
{
    private readonly List<GrpcCallHandler> _handlers = [];
    private readonly GrpcCallEnvironment _environment;

    internal GrpcServiceBinder(ServiceDescriptor service, GrpcCallEnvironment environment)
    {
        Service = service;
        _environment = environment;
    }

    public ServiceDescriptor Service { get; }

    internal IReadOnlyList<GrpcCallHandler> Handlers => _handlers;

    /// <param name="maxRequestBytes">A request limit of the method's own, below <c>Grpc:MaxReceiveMessageSize</c>
    /// (the health service's, whose callers need no credentials); null: the server's.</param>
    public void Unary<TRequest, TResponse>(string name, UnaryMethod<TRequest, TResponse> method, int? maxRequestBytes = null)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>
    {
        var path = Check<TRequest, TResponse>(name, serverStreaming: false);
        _handlers.Add(new UnaryCallHandler<TRequest, TResponse>(path, _environment, new MessageParser<TRequest>(() => new TRequest()), method)
        {
            MaxRequestBytes = maxRequestBytes,
        });
    }

    /// <inheritdoc cref="Unary"/>
    public void ServerStreaming<TRequest, TResponse>(string name, ServerStreamingMethod<TRequest, TResponse> method, int? maxRequestBytes = null)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>
    {
        var path = Check<TRequest, TResponse>(name, serverStreaming: true);
        _handlers.Add(new ServerStreamingCallHandler<TRequest, TResponse>(path, _environment, new MessageParser<TRequest>(() => new TRequest()), method)
        {
            MaxRequestBytes = maxRequestBytes,
        });
    }

    private string Check<TRequest, TResponse>(string name, bool serverStreaming)
    {
        var method = Service.FindMethodByName(name)
            ?? throw new InvalidOperationException($"{Service.FullName} declares no method {name}.");
        if (method.IsClientStreaming || method.IsServerStreaming != serverStreaming)
            throw new InvalidOperationException($"{Service.FullName}.{name} is declared with another streaming kind.");
        if (method.InputType.ClrType != typeof(TRequest) || method.OutputType.ClrType != typeof(TResponse))
            throw new InvalidOperationException(
                $"{Service.FullName}.{name} takes {method.InputType.FullName} and returns {method.OutputType.FullName}.");
        var path = $"/{Service.FullName}/{name}";
        if (_handlers.Any(h => h.Path == path))
            throw new InvalidOperationException($"{path} is bound twice.");
        return path;
    }
}
