using System.Text.Json;
using System.Text.Json.Nodes;
using FhirRisk.Testing;

namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>Calls our server from @grpc/grpc-js through tools/interop/grpc-client.mjs (request and result formats
/// are documented at the top of that script).</summary>
internal static class GrpcJsClient
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static async Task<GrpcJsResult> CallAsync(JsonObject call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var output = await NodeInterop.RunJsonAsync("grpc-client.mjs", [], call.ToJsonString(), Timeout);
        return new GrpcJsResult(output);
    }

    /// <summary>A call object for <paramref name="server"/>.</summary>
    public static JsonObject Request(TestGrpcServer server, string service, string method, JsonObject? request = null) => new()
    {
        ["address"] = server.Address,
        ["service"] = service,
        ["method"] = method,
        ["request"] = request ?? [],
    };
}

internal sealed class GrpcJsResult(JsonElement root)
{
    public JsonElement Root { get; } = root;

    public string StatusName => Root.GetProperty("status").GetProperty("name").GetString()!;

    public string Details => Root.GetProperty("status").GetProperty("details").GetString() ?? "";

    public IReadOnlyList<JsonElement> Messages => Root.GetProperty("messages").EnumerateArray().ToArray();

    public int ElapsedMs => Root.GetProperty("elapsedMs").GetInt32();

    public override string ToString() => Root.ToString();
}
