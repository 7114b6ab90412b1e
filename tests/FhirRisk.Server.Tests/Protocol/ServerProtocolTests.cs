using System.Diagnostics;
using System.Net;
using FhirRisk.Grpc.V1;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Grpc.Internal;
using FhirRisk.Server.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Health.V1;

namespace FhirRisk.Server.Tests.Protocol;

/// <summary>The protocol as it appears on the wire (HttpClient over h2c): statuses, headers, trailers, frames.</summary>
public sealed class ServerProtocolTests : IAsyncLifetime
{
    private const string Predict = "/fhirrisk.v1.RiskService/Predict";
    private static readonly PredictRequest PredictRequest = new() { Patient = new PatientInput { Reference = "p1", Stored = new StoredPatient { PatientId = "42" } } };

    private TestGrpcServer _server = null!;
    private RawGrpcClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await TestGrpcServer.StartAsync(new Dictionary<string, string?>
        {
            ["Grpc:MaxReceiveMessageSize"] = "65536",
            ["Grpc:MaxSendMessageSize"] = "65536",
        });
        _client = new RawGrpcClient(_server.BaseUri());
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Unary_Ok_HeadersOneMessageTrailers()
    {
        var response = await _client.PostAsync(Predict, RawGrpcClient.Frame(PredictRequest));

        Assert.Equal(HttpStatusCode.OK, response.HttpStatus);
        Assert.Equal("application/grpc", response.Headers["content-type"]);
        Assert.Equal("identity,gzip,deflate", response.Headers["grpc-accept-encoding"]);
        Assert.Equal("0", response.Trailers["grpc-status"]);
        var frame = Assert.Single(response.Frames());
        Assert.False(frame.Compressed);
        Assert.Equal(FakeRiskServiceBackend.Answer(PredictRequest.Patient, null), PredictResponse.Parser.ParseFrom(frame.Payload));
        Assert.Empty(_server.Logs.Errors);
    }

    [Theory]
    [InlineData("application/json", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/grpc+json", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("text/plain", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/grpc+proto", HttpStatusCode.OK)]
    [InlineData("application/grpc; charset=utf-8", HttpStatusCode.OK)]
    public async Task ContentType_NotGrpc_Http415(string contentType, HttpStatusCode expected)
    {
        var response = await _client.PostAsync(Predict, RawGrpcClient.Frame(PredictRequest), contentType: contentType);

        Assert.Equal(expected, response.HttpStatus);
        Assert.Equal(expected == HttpStatusCode.OK ? 0 : null, response.GrpcStatus);
    }

    [Fact]
    public async Task UnknownPath_NotGrpc_Http404()
    {
        var response = await _client.PostAsync("/no.such.Service/Method", [], contentType: "application/json");

        Assert.Equal(HttpStatusCode.NotFound, response.HttpStatus);
    }

    [Fact]
    public async Task GrpcPath_GetInsteadOfPost_Http405()
    {
        var response = await _client.PostAsync(Predict, [], method: HttpMethod.Get);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.HttpStatus);
    }

    [Theory]
    [InlineData("/fhirrisk.v1.RiskService/Forecast", "Method is unimplemented.")]
    [InlineData("/fhirrisk.v2.RiskService/Predict", "Service is unimplemented.")]
    public async Task UnknownMethodOrService_UnimplementedTrailersOnly(string path, string message)
    {
        var response = await _client.PostAsync(path, RawGrpcClient.Frame(PredictRequest));

        Assert.Equal(HttpStatusCode.OK, response.HttpStatus);
        Assert.True(response.IsTrailersOnly, "expected a trailers-only response");
        Assert.Equal((int)GrpcStatusCode.Unimplemented, response.GrpcStatus);
        Assert.Equal(message, response.GrpcMessage);
    }

    [Fact]
    public async Task A_patient_id_that_is_not_UTF8_is_refused_before_the_backend_sees_it()
    {
        // The parser alone would hand the backend "4\uFFFD", another patient's id as far as any lookup goes.
        var payload = new PredictRequest { Patient = new PatientInput { Stored = new StoredPatient { PatientId = "4Q" } } }.ToByteArray();
        payload[^1] = 0xFF;
        var called = false;
        _server.Backend.OnPredict = (_, _) =>
        {
            called = true;
            return Task.FromResult(new PredictResponse());
        };

        var response = await _client.PostAsync(Predict, RawGrpcClient.Frame(payload, compressed: false));

        Assert.True(response.IsTrailersOnly, "expected a trailers-only response");
        Assert.Equal((int)GrpcStatusCode.Internal, response.GrpcStatus);
        Assert.Equal("Could not parse the request message: fhirrisk.v1.StoredPatient.patient_id is not valid UTF-8.", PercentEncoding.Decode(response.GrpcMessage!));
        Assert.False(called);
    }

    public static TheoryData<int> ErrorCodes() => new(Enumerable.Range(1, 16));

    [Theory]
    [MemberData(nameof(ErrorCodes))]
    public async Task EveryStatusCode_ReachesTheClientWithItsMessage(int code)
    {
        var message = $"chosen status {code}: 100% ✓";
        _server.Backend.OnPredict = (_, _) => throw new GrpcStatusException((GrpcStatusCode)code, message);

        var response = await _client.PostAsync(Predict, RawGrpcClient.Frame(PredictRequest));

        Assert.True(response.IsTrailersOnly, "an error before any message is trailers-only");
        Assert.Equal(code, response.GrpcStatus);
        Assert.Equal(PercentEncoding.Encode(message), response.GrpcMessage);
        Assert.Equal(message, PercentEncoding.Decode(response.GrpcMessage!));
    }

    [Theory]
    [InlineData(1023, false)]
    [InlineData(1024, false)]
    [InlineData(1025, true)]
    [InlineData(200_000, true)]
    public async Task A_status_message_is_cut_to_a_bound_never_inside_a_surrogate_pair(int length, bool cut)
    {
        // An emoji (a surrogate pair) straddles the cut: it is dropped whole, not halved.
        var message = length <= 1024 ? new string('a', length) : new string('a', 1022) + "😀" + new string('b', length - 1024);
        _server.Backend.OnPredict = (_, _) => throw new GrpcStatusException(GrpcStatusCode.InvalidArgument, message);

        var response = await _client.PostAsync(Predict, RawGrpcClient.Frame(PredictRequest));

        var sent = PercentEncoding.Decode(response.GrpcMessage!);
        if (!cut)
        {
            Assert.Equal(message, sent);
            return;
        }
        Assert.Equal(new string('a', 1022) + "…", sent);
        Assert.True(response.GrpcMessage!.Length < 8 * 1024);
    }

    [Fact]
    public async Task StreamError_AfterAMessage_StatusInTrailers()
    {
        var request = new PredictStreamRequest { Patients = { new PatientInput { Reference = "a" }, new PatientInput { Reference = "b" } } };
        _server.Backend.StreamItemDelay = TimeSpan.Zero;
        _server.Backend.FailStreamAfter = 1;

        var response = await _client.PostAsync("/fhirrisk.v1.RiskService/PredictStream", RawGrpcClient.Frame(request));

        Assert.Single(response.Frames());
        Assert.Equal(((int)GrpcStatusCode.Aborted).ToString(System.Globalization.CultureInfo.InvariantCulture), response.Trailers["grpc-status"]);
        Assert.False(response.Headers.ContainsKey("grpc-status"));
    }

    [Fact]
    public async Task UnexpectedException_GenericInternal_LoggedWithoutItsMessage()
    {
        _server.Backend.OnPredict = (_, _) => throw new InvalidOperationException("Jane Doe was here");

        var response = await _client.PostAsync(Predict, RawGrpcClient.Frame(PredictRequest));

        Assert.Equal((int)GrpcStatusCode.Internal, response.GrpcStatus);
        Assert.StartsWith(GrpcErrorFunnel.InternalMessagePrefix, response.GrpcMessage, StringComparison.Ordinal);
        var logged = Assert.Single(_server.Logs.Errors);
        Assert.Equal(101, logged.EventId);
        Assert.Contains("System.InvalidOperationException", logged.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_server.Logs.Entries, e => e.Message.Contains("Jane", StringComparison.Ordinal) || e.Exception is not null);
    }

    [Fact]
    public async Task Deadline_HandlerObservesItsToken_DeadlineExceeded()
    {
        _server.Backend.OnPredict = async (_, token) =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return new PredictResponse();
        };

        var response = await _client.PostAsync(Predict, RawGrpcClient.Frame(PredictRequest), r => r.Headers.Add("grpc-timeout", "200m"));

        Assert.Equal((int)GrpcStatusCode.DeadlineExceeded, response.GrpcStatus);
        await _server.Backend.Cancelled.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(_server.Logs.Has(102));
    }

    [Fact]
    public async Task Deadline_HandlerIgnoresItsToken_AnsweredAtTheDeadlineAnyway()
    {
        var release = new TaskCompletionSource();
        _server.Backend.OnPredict = async (_, _) =>
        {
            await release.Task; // ignores cancellation
            return new PredictResponse();
        };
        var watch = Stopwatch.StartNew();

        var response = await _client.PostAsync(Predict, RawGrpcClient.Frame(PredictRequest), r => r.Headers.Add("grpc-timeout", "300000u"));
        watch.Stop();
        release.SetResult();

        Assert.Equal((int)GrpcStatusCode.DeadlineExceeded, response.GrpcStatus);
        Assert.True(response.IsTrailersOnly);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Deadline_Malformed_Internal()
    {
        var response = await _client.PostAsync(Predict, RawGrpcClient.Frame(PredictRequest), r => r.Headers.Add("grpc-timeout", "5 seconds"));

        Assert.Equal((int)GrpcStatusCode.Internal, response.GrpcStatus);
        Assert.Equal("Malformed grpc-timeout header.", response.GrpcMessage);
    }

    [Fact]
    public async Task Deadline_Generous_CallCompletesNormally()
    {
        var response = await _client.PostAsync(Predict, RawGrpcClient.Frame(PredictRequest), r => r.Headers.Add("grpc-timeout", "1H"));

        Assert.Equal(0, response.GrpcStatus);
    }

    [Fact]
    public async Task RequestOverTheLimit_ResourceExhaustedBeforeReadingIt()
    {
        var header = new byte[5];
        MessageFrame.WriteHeader(header, compressed: false, 65537);

        var response = await _client.PostAsync(Predict, header); // declared 64 KiB + 1, never sent

        Assert.Equal((int)GrpcStatusCode.ResourceExhausted, response.GrpcStatus);
        Assert.Equal("Received message larger than max (65537 vs. 65536).", response.GrpcMessage);
    }

    [Fact]
    public async Task ResponseOverTheLimit_ResourceExhaustedInsteadOfSent()
    {
        _server.Backend.OnGenerate = (_, _) => Task.FromResult(BigGenerateResponse());

        var response = await _client.PostAsync("/fhirrisk.v1.RiskService/Generate", RawGrpcClient.Frame(new GenerateRequest()));

        Assert.Equal((int)GrpcStatusCode.ResourceExhausted, response.GrpcStatus);
        Assert.StartsWith("Sending message larger than max (", response.GrpcMessage, StringComparison.Ordinal);
        Assert.Empty(response.Body);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public async Task CompressedRequest_Decompressed(string encoding)
    {
        var response = await _client.PostAsync(Predict, RawGrpcClient.Frame(PredictRequest, encoding), r => r.Headers.Add("grpc-encoding", encoding));

        Assert.Equal(0, response.GrpcStatus);
        Assert.Equal(PredictRequest, _server.Backend.LastPredictRequest);
        Assert.True(_server.Logs.Has(106));
    }

    [Fact]
    public async Task CompressedRequest_UnsupportedEncoding_UnimplementedListingOurs()
    {
        var response = await _client.PostAsync(Predict, RawGrpcClient.Frame(PredictRequest, "gzip"), r => r.Headers.Add("grpc-encoding", "snappy"));

        Assert.Equal((int)GrpcStatusCode.Unimplemented, response.GrpcStatus);
        Assert.Equal("identity,gzip,deflate", response.Headers["grpc-accept-encoding"]);
    }

    [Fact]
    public async Task HealthCheck_ThroughHttpClient_Serving()
    {
        var response = await _client.PostAsync("/grpc.health.v1.Health/Check", RawGrpcClient.Frame(new HealthCheckRequest()));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, HealthCheckResponse.Parser.ParseFrom(Assert.Single(response.Frames()).Payload).Status);
    }

    internal static GenerateResponse BigGenerateResponse()
    {
        var trajectory = new Trajectory();
        for (var i = 0; i < 5000; i++)
            trajectory.Events.Add(new Event { Code = "LOINC//2160-0//mg/dL", NumericValue = i });
        return new GenerateResponse { Trajectories = { trajectory } };
    }
}
