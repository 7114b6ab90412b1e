using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace FhirRisk.Bench.Service;

/// <summary>What one load level measured: each successful call's latency, the failures, the wall time, and how many
/// successful calls the server shed from its rollouts to its heads (their cards say so; docs/operations.md "Load shedding").</summary>
internal sealed record LoadResult(string Mode, int Clients, IReadOnlyList<double> LatenciesMs, int Errors, double Seconds, int ShedToHeads = 0)
{
    public int Requests => LatenciesMs.Count + Errors;

    public double RequestsPerSecond => Requests / Seconds;
}

/// <summary>
/// Closed-loop CDS Hooks clients: each sends a <c>patient-view</c> call to <c>fhirrisk-patient-risk</c>, waits for the
/// answer and sends the next, until the level's request budget or time limit is spent. Calls cycle through
/// <see cref="Patients"/> different patients (each record in the prefetch), so the timeline store reaches a steady size
/// during a soak. A call is an error unless it answers 200 with cards.
/// </summary>
internal sealed class PatientViewLoad(Uri server)
{
    private static readonly Uri ServicePath = new("/cds-services/fhirrisk-patient-risk", UriKind.Relative);

    /// <summary>The call, with @-placeholders <see cref="Request"/> fills in.</summary>
    private const string Template = """
            {"hook":"patient-view","hookInstance":"@INSTANCE",
             "context":{"userId":"Practitioner/bench","patientId":"@ID"},
             "prefetch":{
              "patient":{"resourceType":"Patient","id":"@ID","gender":"@GENDER","birthDate":"@BIRTHYEAR-04-01"},
              "encounters":{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Encounter","id":"@ID-enc","status":"in-progress",
                "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/@ID"},"period":{"start":"2026-11-30T08:00:00Z"}}}]},
              "conditions":{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Condition","id":"@ID-c1","subject":{"reference":"Patient/@ID"},
                "encounter":{"reference":"Encounter/@ID-enc"},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"I50.9"}]},"recordedDate":"2026-11-30T09:00:00Z"}}]},
              "observations":{"resourceType":"Bundle","type":"searchset","entry":[
                {"resource":{"resourceType":"Observation","id":"@ID-o1","status":"final","subject":{"reference":"Patient/@ID"},"encounter":{"reference":"Encounter/@ID-enc"},
                 "code":{"coding":[{"system":"http://loinc.org","code":"2160-0"}]},"effectiveDateTime":"2026-11-30T09:30:00Z","valueQuantity":{"value":@CREATININE,"unit":"mg/dL"}}},
                {"resource":{"resourceType":"Observation","id":"@ID-o2","status":"final","subject":{"reference":"Patient/@ID"},"encounter":{"reference":"Encounter/@ID-enc"},
                 "code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"effectiveDateTime":"2026-11-30T09:30:00Z","valueQuantity":{"value":@HEARTRATE,"unit":"/min"}}}]},
              "medicationRequests":null,"procedures":null}}
            """;

    private const int Patients = 1000;

    private int _nextPatient;

    /// <summary>Runs <paramref name="clients"/> clients until <paramref name="requests"/> calls were made or
    /// <paramref name="limit"/> has passed (calls in flight then finish).</summary>
    public async Task<LoadResult> RunAsync(string mode, int clients, int requests, TimeSpan limit)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var http = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
        var latencies = new List<double>();
        var errors = 0;
        var shed = 0;
        var issued = 0;
        var clock = Stopwatch.StartNew();
        async Task Client()
        {
            while (Interlocked.Increment(ref issued) <= requests && clock.Elapsed < limit)
            {
                var (ok, byHeads, milliseconds) = await CallAsync(http);
                lock (latencies)
                {
                    if (ok)
                        latencies.Add(milliseconds);
                    else
                        errors++;
                    if (byHeads)
                        shed++;
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(Client)));
        return new LoadResult(mode, clients, latencies, errors, clock.Elapsed.TotalSeconds, shed);
    }

    /// <summary>Words of the card detail of a risk the heads answered because the server's rollouts were at capacity.</summary>
    private const string ShedMarker = "which were at capacity";

    private async Task<(bool Ok, bool ShedToHeads, double Milliseconds)> CallAsync(HttpClient http)
    {
        var patient = Interlocked.Increment(ref _nextPatient) % Patients;
        using var content = new StringContent(Request(patient), Encoding.UTF8, "application/json");
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await http.PostAsync(ServicePath, content);
            var body = await response.Content.ReadAsStringAsync();
            var milliseconds = clock.Elapsed.TotalMilliseconds;
            var ok = response.IsSuccessStatusCode && body.Contains("\"cards\"", StringComparison.Ordinal);
            return (ok, ok && body.Contains(ShedMarker, StringComparison.Ordinal), milliseconds);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (false, false, clock.Elapsed.TotalMilliseconds);
        }
    }

    /// <summary>An inpatient in hospital since this morning with heart failure, a creatinine and a heart rate: the
    /// record an EHR prefetches for <c>patient-view</c> (docs/cds-hooks.md), for patient number <paramref name="n"/>.</summary>
    private static string Request(int n)
    {
        var id = string.Create(CultureInfo.InvariantCulture, $"bench-{n}");
        var birthYear = 1930 + (n % 60);
        var creatinine = 0.7 + ((n % 25) / 10.0);
        return Template
            .Replace("@INSTANCE", Guid.NewGuid().ToString(), StringComparison.Ordinal)
            .Replace("@ID", id, StringComparison.Ordinal)
            .Replace("@GENDER", n % 2 == 0 ? "female" : "male", StringComparison.Ordinal)
            .Replace("@BIRTHYEAR", birthYear.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@CREATININE", creatinine.ToString("0.0", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@HEARTRATE", (88 + (n % 40)).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }
}
