using System.Net;
using System.Net.Sockets;
using System.Text;
using FhirRisk.Grpc.V1;
using FhirRisk.Server.Metrics;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Timeline;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.Operations;

/// <summary><c>/metrics</c> scraped from the whole server after FHIR push, gRPC and probe calls.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task A_scrape_after_calls_counts_and_times_them_and_reports_the_model_and_the_rollouts()
    {
        await using var server = await TestFhirRiskServer.StartAsync();
        await server.WaitUntilReadyAsync();
        using (var pushed = await server.PostAsync("/fhir", TestBundles.Patient("m1").ToJsonString()))
            Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
        using var grpc = new RawGrpcClient(new Uri($"http://127.0.0.1:{server.GrpcPort}"));
        var predict = new PredictRequest { Patient = new PatientInput { Stored = new StoredPatient { PatientId = "m1" } }, Options = new PredictOptions { Tasks = { "hospital_mortality" }, Method = Method.Rollouts } };
        var answered = await grpc.PostAsync("/fhirrisk.v1.RiskService/Predict", RawGrpcClient.Frame(predict));
        Assert.Equal(0, answered.GrpcStatus);
        var unknown = await grpc.PostAsync("/fhirrisk.v1.RiskService/Predict", RawGrpcClient.Frame(new PredictRequest { Patient = new PatientInput { Stored = new StoredPatient { PatientId = "nobody" } } }));
        Assert.Equal(5, unknown.GrpcStatus);

        // A request is counted when its middleware returns, which can be just after its client has the answer: scrape
        // until the last call shows (a few milliseconds at most), then check everything.
        var (response, text) = await ScrapeAsync(server);
        for (var attempt = 0; attempt < 50 && !AllCounted(PrometheusScrape.Parse(text)); attempt++)
        {
            response.Dispose();
            await Task.Delay(100);
            (response, text) = await ScrapeAsync(server);
        }
        using var scraped = response;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(PrometheusText.ContentType, response.Content.Headers.ContentType!.ToString());
        var scrape = PrometheusScrape.Parse(text);
        Assert.Equal("counter", scrape.Types["fhirrisk_requests_total"]);
        Assert.Equal("histogram", scrape.Types["fhirrisk_request_duration_seconds"]);
        Assert.Equal(1, scrape.Value("fhirrisk_requests_total", ("surface", "fhir_push"), ("endpoint", "/fhir"), ("status", "200")));
        Assert.Equal(1, scrape.Value("fhirrisk_requests_total", ("surface", "grpc"), ("endpoint", "/fhirrisk.v1.RiskService/Predict"), ("status", "OK")));
        Assert.Equal(1, scrape.Value("fhirrisk_requests_total", ("surface", "grpc"), ("endpoint", "/fhirrisk.v1.RiskService/Predict"), ("status", "NOT_FOUND")));
        Assert.True(scrape.Value("fhirrisk_requests_total", ("surface", "health"), ("endpoint", "/health/ready"), ("status", "200")) >= 1);
        Assert.Equal(1, scrape.Value("fhirrisk_request_duration_seconds_count", ("surface", "grpc"), ("endpoint", "/fhirrisk.v1.RiskService/Predict"), ("status", "OK")));
        Assert.True(scrape.Value("fhirrisk_request_duration_seconds_sum", ("surface", "fhir_push"), ("endpoint", "/fhir"), ("status", "200")) > 0);
        Assert.Equal(1, scrape.Value("fhirrisk_model_loaded"));
        Assert.Equal(4, scrape.Value("fhirrisk_rollouts_total")); // Model:MinRollouts = MaxRollouts = 4, one task
        Assert.True(scrape.Value("fhirrisk_rollout_decode_steps_total") > 0);
        Assert.InRange(scrape.Value("fhirrisk_rollout_batch_rows_total"), scrape.Value("fhirrisk_rollout_decode_steps_total"),
            scrape.Value("fhirrisk_rollout_decode_steps_total") * scrape.Value("fhirrisk_rollout_step_rows"));
        Assert.InRange(scrape.Value("fhirrisk_rollout_step_rows"), scrape.Value("fhirrisk_rollout_batch_slots"), 2048);
        Assert.Equal(0, scrape.Value("fhirrisk_rollout_batch_slots_in_use"));
        Assert.Equal(0, scrape.Value("fhirrisk_draining"));
        // Labels are route patterns and method paths: nothing from the requests (patient ids) appears.
        Assert.DoesNotContain("m1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("nobody", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scrape_reports_the_process_and_the_garbage_collector()
    {
        await using var server = await TestFhirRiskServer.StartAsync();
        await server.WaitUntilReadyAsync();

        using var response = await server.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        var scrape = PrometheusScrape.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("gauge", scrape.Types["process_resident_memory_bytes"]);
        Assert.Equal("counter", scrape.Types["dotnet_gc_collections_total"]);
        // The test server shares this process: its figures are this process's.
        Assert.InRange(scrape.Value("process_resident_memory_bytes"), 16 << 20, 64L << 30);
        Assert.True(scrape.Value("process_virtual_memory_bytes") >= scrape.Value("process_resident_memory_bytes"));
        Assert.True(scrape.Value("process_cpu_seconds_total") > 0);
        Assert.InRange(scrape.Value("process_start_time_seconds"), DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.True(scrape.Value("process_open_fds") > 0);
        Assert.True(scrape.Value("process_threads") >= scrape.Value("dotnet_threadpool_threads"));
        Assert.True(scrape.Value("dotnet_gc_allocated_bytes_total") > 0);
        Assert.True(scrape.Value("dotnet_gc_committed_bytes") >= scrape.Value("dotnet_gc_heap_size_bytes") - scrape.Value("dotnet_gc_fragmented_bytes"));
        Assert.True(scrape.Value("dotnet_gc_collections_total", ("generation", "0")) >= scrape.Value("dotnet_gc_collections_total", ("generation", "1")));
        Assert.True(scrape.Value("dotnet_gc_collections_total", ("generation", "1")) >= scrape.Value("dotnet_gc_collections_total", ("generation", "2")));
        Assert.Equal(System.Runtime.GCSettings.IsServerGC ? 1 : 0, scrape.Value("dotnet_gc_server"));
        Assert.True(scrape.Value("dotnet_threadpool_queue_length") >= 0);
    }

    [Fact]
    public async Task Requests_that_end_in_an_exception_count_with_the_status_sent_not_200()
    {
        await using var server = await TestFhirRiskServer.StartAsync(configure: s => s.AddSingleton<ITimelineStore, WriteFailingStore>());
        await server.WaitUntilReadyAsync();
        // The store fails the write with an unexpected exception: the push endpoint's catch-all answers 500.
        using (var failed = await server.PostAsync("/fhir", TestBundles.Patient("m2").ToJsonString()))
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        // A chunk size that is not hex: Kestrel's BadHttpRequestException reaches the middleware and is answered 400.
        Assert.StartsWith("HTTP/1.1 400", await SendRawAsync(server.HttpPort,
            "POST /fhir HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"),
            StringComparison.Ordinal);

        using var response = await server.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        var scrape = PrometheusScrape.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(1, scrape.Value("fhirrisk_requests_total", ("surface", "fhir_push"), ("endpoint", "/fhir"), ("status", "500")));
        Assert.Equal(1, scrape.Value("fhirrisk_requests_total", ("surface", "fhir_push"), ("endpoint", "/fhir"), ("status", "400")));
        Assert.Equal(1, scrape.Value("fhirrisk_request_duration_seconds_count", ("surface", "fhir_push"), ("endpoint", "/fhir"), ("status", "500")));
        Assert.DoesNotContain(scrape.Samples, s => s.Name == "fhirrisk_requests_total" && s.Labels.GetValueOrDefault("status") == "200"
            && s.Labels.GetValueOrDefault("endpoint") == "/fhir");
    }

    [Theory]
    [InlineData("Content-Length: 1048576\r\n\r\n")]
    [InlineData("Transfer-Encoding: chunked\r\n\r\n100000\r\n")]
    public async Task A_client_that_goes_away_mid_upload_counts_as_499_not_400(string framing)
    {
        await using var server = await TestFhirRiskServer.StartAsync();
        await server.WaitUntilReadyAsync();
        using (var client = new TcpClient())
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await client.ConnectAsync(IPAddress.Loopback, server.HttpPort, timeout.Token);
            var stream = client.GetStream();
            // A body announced as 1 MB, of which 16 kB arrive before the client closes the connection (a sender's timeout).
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                "POST /fhir HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\n" + framing), timeout.Token);
            await stream.WriteAsync(new byte[16384], timeout.Token);
            await stream.FlushAsync(timeout.Token);
            await Task.Delay(200, timeout.Token);
        }

        var scrape = await ScrapeUntilAsync(server, s => s.Samples.Any(m => m.Name == "fhirrisk_requests_total" && m.Labels.GetValueOrDefault("endpoint") == "/fhir"));
        Assert.Equal(1, scrape.Value("fhirrisk_requests_total", ("surface", "fhir_push"), ("endpoint", "/fhir"), ("status", "499")));
        Assert.DoesNotContain(scrape.Samples, s => s.Name == "fhirrisk_requests_total" && s.Labels.GetValueOrDefault("status") == "400");
    }

    /// <summary>Scrapes <c>/metrics</c> until <paramref name="done"/> holds (a request is counted once it has ended, which
    /// a client that went away does not wait for), or fails after 10 s.</summary>
    private static async Task<PrometheusScrape> ScrapeUntilAsync(TestFhirRiskServer server, Func<PrometheusScrape, bool> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            using var response = await server.Http.GetAsync(new Uri("/metrics", UriKind.Relative), timeout.Token);
            var scrape = PrometheusScrape.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
            if (done(scrape))
                return scrape;
            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>Sends <paramref name="request"/> as bytes on a new connection and returns the status line and what
    /// follows, read until the server closes or 10 s pass.</summary>
    private static async Task<string> SendRawAsync(int port, string request)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer, timeout.Token);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    [Fact]
    public void The_status_file_gives_resident_and_virtual_bytes_and_threads()
    {
        string[] lines = ["Name:\tdotnet", "VmSize:\t  3145728 kB", "VmRSS:\t   131072 kB", "Threads:\t37", "VmRSSX: 1 kB"];

        var status = ProcessStatus.Parse(lines);

        Assert.Equal(new ProcessStatus(128.0 * 1024 * 1024, 3.0 * 1024 * 1024 * 1024, 37), status);
    }

    [Fact]
    public void Grpc_codes_are_spelled_as_grpc_spells_them()
    {
        Assert.Equal("DEADLINE_EXCEEDED", RequestMetricsMiddleware.CodeName(Server.Grpc.GrpcStatusCode.DeadlineExceeded));
        Assert.Equal("OK", RequestMetricsMiddleware.CodeName(Server.Grpc.GrpcStatusCode.Ok));
    }

    private static bool AllCounted(PrometheusScrape scrape) =>
        scrape.Has("fhirrisk_requests_total", ("surface", "fhir_push"), ("endpoint", "/fhir"), ("status", "200"))
        && scrape.Has("fhirrisk_requests_total", ("surface", "grpc"), ("endpoint", "/fhirrisk.v1.RiskService/Predict"), ("status", "OK"))
        && scrape.Has("fhirrisk_requests_total", ("surface", "grpc"), ("endpoint", "/fhirrisk.v1.RiskService/Predict"), ("status", "NOT_FOUND"));

    private static async Task<(HttpResponseMessage Response, string Text)> ScrapeAsync(TestFhirRiskServer server)
    {
        var response = await server.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        return (response, await response.Content.ReadAsStringAsync());
    }
}
