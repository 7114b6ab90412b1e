using System.Net;
using System.Net.Http.Headers;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Tests.Infrastructure;
using Grpc.Health.V1;

namespace FhirRisk.Server.Tests.Health;

/// <summary>The bounds on the unauthenticated health service (review s12 #1): name length, watch cap, watch
/// lifetime, connections to the gRPC listener.</summary>
public sealed class HealthWatchLimitTests
{
    private const string Watch = "/grpc.health.v1.Health/Watch";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Watch_NameOverTheLimit_InvalidArgument_NothingKept()
    {
        await using var server = await TestGrpcServer.StartAsync();
        using var client = new RawGrpcClient(server.BaseUri());
        var body = RawGrpcClient.Frame(new HealthCheckRequest { Service = new string('x', 300) }); // within the 1 KiB request limit

        // WaitAsync: RawGrpcClient's timeout ends at the headers, and a watch that is kept sends them and stays open.
        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.PostAsync(Watch, body))).WaitAsync(Timeout);

        Assert.All(answers, a => Assert.Equal((int)GrpcStatusCode.InvalidArgument, a.GrpcStatus));
        Assert.All(answers, a => Assert.True(a.IsTrailersOnly));
        Assert.Equal(0, server.Health.TotalWatchers);
        Assert.Empty(server.Logs.Errors);
    }

    [Theory]
    [InlineData("Watch")]
    [InlineData("Check")]
    [InlineData("List")]
    public async Task A_request_over_1_KiB_is_ResourceExhausted_as_it_is_read_NothingKept(string method)
    {
        await using var server = await TestGrpcServer.StartAsync();
        using var client = new RawGrpcClient(server.BaseUri());
        var body = RawGrpcClient.Frame(new HealthCheckRequest { Service = new string('x', 64 * 1024) });

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.PostAsync($"/grpc.health.v1.Health/{method}", body))).WaitAsync(Timeout);

        Assert.All(answers, a => Assert.Equal((int)GrpcStatusCode.ResourceExhausted, a.GrpcStatus));
        Assert.Equal(0, server.Health.TotalWatchers);
        Assert.Empty(server.Logs.Errors);

        // The health methods' own limit is theirs alone: a RiskService request of the same 64 KiB is read.
        var predict = RawGrpcClient.Frame(new FhirRisk.Grpc.V1.PredictRequest
        {
            Patient = new FhirRisk.Grpc.V1.PatientInput { Reference = new string('x', 64 * 1024), Stored = new FhirRisk.Grpc.V1.StoredPatient() },
        });
        var read = await client.PostAsync("/fhirrisk.v1.RiskService/Predict", predict).WaitAsync(Timeout);
        Assert.NotEqual((int)GrpcStatusCode.ResourceExhausted, read.GrpcStatus);
    }

    [Fact]
    public async Task Watch_NameOfTheLimit_Watched()
    {
        await using var server = await TestGrpcServer.StartAsync();
        using var http = Http2Client(server);
        var name = new string('é', 128); // 256 UTF-8 bytes

        using var watch = await OpenWatchAsync(http, name);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.ServiceUnknown, await FirstStatusAsync(watch));
        Assert.Equal(1, server.Health.WatcherCount(name));
    }

    [Fact]
    public async Task Watch_PastTheCap_ResourceExhausted_UntilOneEnds()
    {
        await using var server = await TestGrpcServer.StartAsync(new Dictionary<string, string?> { ["Grpc:MaxHealthWatches"] = "2" });
        using var http = Http2Client(server);
        using var raw = new RawGrpcClient(server.BaseUri());
        var first = await OpenWatchAsync(http, "");
        using var second = await OpenWatchAsync(http, "");
        await WaitUntil(() => server.Health.TotalWatchers == 2);

        var refused = await raw.PostAsync(Watch, RawGrpcClient.Frame(new HealthCheckRequest())).WaitAsync(Timeout);
        var check = await raw.PostAsync("/grpc.health.v1.Health/Check", RawGrpcClient.Frame(new HealthCheckRequest())).WaitAsync(Timeout);
        first.Dispose();
        await WaitUntil(() => server.Health.TotalWatchers == 1);
        using var third = await OpenWatchAsync(http, "");

        Assert.Equal((int)GrpcStatusCode.ResourceExhausted, refused.GrpcStatus);
        Assert.Equal(0, check.GrpcStatus);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await FirstStatusAsync(third));
        Assert.Empty(server.Logs.Errors);
    }

    [Fact]
    public async Task Watch_AfterItsLifetime_EndsOk()
    {
        await using var server = await TestGrpcServer.StartAsync(new Dictionary<string, string?> { ["Grpc:HealthWatchLifetime"] = "00:00:01" });
        using var raw = new RawGrpcClient(server.BaseUri());

        var answer = await raw.PostAsync(Watch, RawGrpcClient.Frame(new HealthCheckRequest())).WaitAsync(Timeout);

        Assert.Equal(0, answer.GrpcStatus);
        var frame = Assert.Single(answer.Frames());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, HealthCheckResponse.Parser.ParseFrom(frame.Payload).Status);
        await WaitUntil(() => server.Health.TotalWatchers == 0);
    }

    [Fact]
    public async Task Connections_PastTheLimit_Closed()
    {
        await using var server = await TestGrpcServer.StartAsync(new Dictionary<string, string?> { ["Grpc:MaxConcurrentConnections"] = "1" });
        var held = Http2Client(server);
        var watch = await OpenWatchAsync(held, "");
        using var other = new RawGrpcClient(server.BaseUri());

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => other.PostAsync("/grpc.health.v1.Health/Check", RawGrpcClient.Frame(new HealthCheckRequest())));
        watch.Dispose();
        held.Dispose();
        await WaitUntil(() => server.Health.TotalWatchers == 0);
        using var later = new RawGrpcClient(server.BaseUri());
        var check = await RetryAsync(() => later.PostAsync("/grpc.health.v1.Health/Check", RawGrpcClient.Frame(new HealthCheckRequest())));

        Assert.Equal(0, check.GrpcStatus);
    }

    private static HttpClient Http2Client(TestGrpcServer server) => new(new SocketsHttpHandler())
    {
        BaseAddress = server.BaseUri(),
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Timeout,
    };

    /// <summary>A watch left open: its response with headers read and the body not.</summary>
    private static async Task<HttpResponseMessage> OpenWatchAsync(HttpClient http, string service)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Watch)
        {
            Content = new ByteArrayContent(RawGrpcClient.Frame(new HealthCheckRequest { Service = service })),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("grpc-status"), "the watch ended at once");
        return response;
    }

    private static async Task<HealthCheckResponse.Types.ServingStatus> FirstStatusAsync(HttpResponseMessage watch)
    {
        var stream = await watch.Content.ReadAsStreamAsync();
        var header = new byte[5];
        await stream.ReadExactlyAsync(header).AsTask().WaitAsync(Timeout);
        var payload = new byte[System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1))];
        await stream.ReadExactlyAsync(payload).AsTask().WaitAsync(Timeout);
        return HealthCheckResponse.Parser.ParseFrom(payload).Status;
    }

    private static async Task<RawGrpcResponse> RetryAsync(Func<Task<RawGrpcResponse>> call)
    {
        // The server counts a connection closed once Kestrel has finished with it, a moment after the client.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (HttpRequestException) when (attempt < 50)
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }
}
