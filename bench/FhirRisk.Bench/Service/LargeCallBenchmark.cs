using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Service;

/// <summary>
/// <c>large-call</c>: memory under large CDS Hooks calls (docs/cds-hooks.md "Limits"). The shipped server (child
/// process, 127.0.0.1, demo model answering by the heads, local-demo auth) gets a <c>patient-view</c> call whose prefetch
/// holds one patient's Patient and a searchset of 73,525 creatinine Observations (about 30 MB; <c>--quick</c>: 7,000):
/// first one call to a server without a heap limit (wall time, peak RSS), then ten at once to a server whose heap is
/// limited to 768 MiB, as .NET limits it in a 1 GiB container, with the default byte budget (memory ÷ 20). No peer: the
/// targets are absolute — no call fails with 500 (an out-of-memory failure) and at least one is answered under the
/// limit; the others are refused with 503 and Retry-After.
/// </summary>
internal sealed class LargeCallBenchmark : IBenchmark
{
    private const int Observations = 73_525;
    private const int QuickObservations = 7_000;
    private const int Concurrent = 10;
    private const long HeapLimitBytes = 768L << 20;
    private static readonly Uri ServicePath = new("/cds-services/fhirrisk-patient-risk", UriKind.Relative);

    public string Name => "large-call";

    public string Description => "peak memory of a ~30 MB CDS Hooks call, and ten at once in a 768 MiB heap: none may fail with 500";

    public BenchmarkOutcome Run(BenchmarkSettings settings) => RunAsync(settings).GetAwaiter().GetResult();

    private static async Task<BenchmarkOutcome> RunAsync(BenchmarkSettings settings)
    {
        var output = settings.Output;
        output.WriteLine("Building src/FhirRisk.Server (Release) ...");
        var assembly = ServerUnderTest.Build(settings.RepositoryRoot, Path.Combine(settings.WorkDirectory, "server-bin"));
        var body = Body(settings.Quick ? QuickObservations : Observations);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"body: {body.Length:N0} bytes"));

        var one = await MeasureAsync(settings, assembly, "server-one", null, body, 1);
        var limit = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x" + HeapLimitBytes.ToString("x", CultureInfo.InvariantCulture) };
        var ten = await MeasureAsync(settings, assembly, "server-limited", limit, body, Concurrent);
        var single = one.Answers[0];
        var answers = ten.Answers;

        var raw = body.Length / (1024.0 * 1024.0);
        output.WriteLine();
        output.WriteLine("scenario                          answers                    base MiB  peak MiB  peak−base / body   wall s");
        foreach (var (scenario, m) in new[] { ("one call, no heap limit", one), ($"{Concurrent} at once, 768 MiB heap", ten) })
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{scenario,-33} {Answers(m.Answers),-26} {m.BaseMiB,8:0}  {m.PeakMiB,8:0}  {(m.PeakMiB - m.BaseMiB) / raw,16:0.0}  {m.Seconds,7:0.00}"));
        }
        var failures = answers.Count(a => a == HttpStatusCode.InternalServerError) + (single == HttpStatusCode.OK ? 0 : 1);
        var targets = new[]
        {
            new TargetResult("server_errors", failures, 1, TargetDirection.Below),
            new TargetResult("answered_in_768mib", answers.Count(a => a == HttpStatusCode.OK), 1, TargetDirection.AtLeast),
        };
        var problems = answers.Where(a => a is not (HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable)).Select(a => $"a call answered {(int)a}").Distinct().ToArray();
        return new BenchmarkOutcome(targets, single == HttpStatusCode.OK ? problems : [.. problems, $"the single call answered {(int)single}"]);
    }

    /// <summary>Starts a server (with <paramref name="environment"/>), sends it <paramref name="count"/> copies of the call
    /// at once, and reads its resident memory before and at its peak.</summary>
    private static async Task<Measurement> MeasureAsync(BenchmarkSettings settings, string assembly, string name,
        IReadOnlyDictionary<string, string>? environment, byte[] body, int count)
    {
        using var server = await ServerUnderTest.StartAsync(assembly, settings.RepositoryRoot, settings.WorkDirectory, "heads", environment, name);
        var baseMiB = server.ResidentMiB();
        var clock = Stopwatch.StartNew();
        var answers = await SendAsync(server.Address, body, count);
        return new Measurement(answers, baseMiB, server.PeakResidentMiB(), clock.Elapsed.TotalSeconds);
    }

    private sealed record Measurement(HttpStatusCode[] Answers, double BaseMiB, double PeakMiB, double Seconds);

    /// <summary>Sends <paramref name="count"/> copies of the call at once; the statuses, in order.</summary>
    private static async Task<HttpStatusCode[]> SendAsync(Uri server, byte[] body, int count)
    {
        using var client = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromMinutes(5) };
        return await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync(ServicePath, content);
            return response.StatusCode;
        }));
    }

    private static string Answers(IEnumerable<HttpStatusCode> answers) =>
        string.Join(" + ", answers.GroupBy(a => (int)a).OrderBy(g => g.Key).Select(g => $"{g.Count()} × {g.Key}"));

    /// <summary>The call: a Patient and a searchset of <paramref name="count"/> creatinine Observations, seven minutes apart.</summary>
    private static byte[] Body(int count)
    {
        const string Head = "{\"hook\":\"patient-view\",\"hookInstance\":\"8a1b2c3d-0000-4000-8000-000000000001\","
            + "\"context\":{\"userId\":\"Practitioner/bench\",\"patientId\":\"large-1\"},"
            + "\"prefetch\":{\"patient\":{\"resourceType\":\"Patient\",\"id\":\"large-1\",\"gender\":\"female\",\"birthDate\":\"1950-04-01\"},"
            + "\"observations\":{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[";
        const string Observation = "{{\"fullUrl\":\"https://ehr.example/fhir/Observation/cr-{0}\",\"resource\":{{\"resourceType\":\"Observation\","
            + "\"id\":\"cr-{0}\",\"status\":\"final\",\"code\":{{\"coding\":[{{\"system\":\"http://loinc.org\",\"code\":\"2160-0\","
            + "\"display\":\"Creatinine\"}}]}},\"subject\":{{\"reference\":\"Patient/large-1\"}},\"effectiveDateTime\":\"{1:yyyy-MM-ddTHH:mm:ssZ}\","
            + "\"valueQuantity\":{{\"value\":{2:0.00},\"unit\":\"mg/dL\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mg/dL\"}}}}}}";
        var text = new StringBuilder(count * 420).Append(Head);
        var start = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
                text.Append(',');
            text.AppendFormat(CultureInfo.InvariantCulture, Observation, i, start.AddMinutes(7 * i), 0.6 + i % 50 * 0.05);
        }
        return Encoding.UTF8.GetBytes(text.Append("]}}}").ToString());
    }
}
