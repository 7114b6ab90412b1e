using System.Diagnostics;
using System.Globalization;
using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Service;

/// <summary>
/// <c>service</c>: the shipped server (child process, 127.0.0.1, demo model, local-demo auth) under closed-loop CDS Hooks
/// <c>patient-view</c> load at 1, 8 and 32 concurrent clients, once with heads and once with rollouts as the default
/// method, then a soak in heads mode at 8 clients that samples the server's resident memory. Every level is bounded in
/// requests and time. Targets: heads p99 &lt; 100 ms at 8 clients, no errors, RSS growth &lt; 5 % over the soak.
/// The soak lasts 5 minutes (<c>--quick</c>: 10 s); <c>FHIRRISK_BENCH_SOAK_SECONDS</c> sets another length. Growth is
/// judged on windows of samples, not on two single samples (<see cref="SoakResult"/>).
/// </summary>
internal sealed class ServiceBenchmark : IBenchmark
{
    public const string SoakVariable = "FHIRRISK_BENCH_SOAK_SECONDS";

    private const double HeadsP99TargetMs = 100;
    private const double RssGrowthTargetPercent = 5;
    private const int SoakClients = 8;
    private static readonly TimeSpan SoakSampleInterval = TimeSpan.FromSeconds(2);
    private static readonly int[] Concurrency = [1, 8, 32];
    private static readonly TimeSpan LevelLimit = TimeSpan.FromSeconds(60);

    public string Name => "service";

    public string Description => $"CDS Hooks patient-view p50/p99 and requests/s at 1/8/32 clients (heads, rollouts) and an RSS soak ({SoakVariable} sets its seconds)";

    public BenchmarkOutcome Run(BenchmarkSettings settings) => RunAsync(settings).GetAwaiter().GetResult();

    private static async Task<BenchmarkOutcome> RunAsync(BenchmarkSettings settings)
    {
        var output = settings.Output;
        var soak = SoakLength(settings.Quick);
        output.WriteLine("Building src/FhirRisk.Server (Release) ...");
        var assembly = ServerUnderTest.Build(settings.RepositoryRoot, Path.Combine(settings.WorkDirectory, "server-bin"));

        var levels = new List<LoadResult>();
        SoakResult? memory = null;
        foreach (var mode in new[] { "heads", "rollouts" })
        {
            using var server = await ServerUnderTest.StartAsync(assembly, settings.RepositoryRoot, settings.WorkDirectory, mode);
            var load = new PatientViewLoad(server.Address);
            // Warm-up: the server compiles its hot paths on first use (tiered compilation), at every concurrency.
            await load.RunAsync(mode, 8, mode == "heads" ? 400 : 8, LevelLimit);
            foreach (var clients in Concurrency)
            {
                var requests = RequestBudget(mode, clients, settings.Quick);
                output.WriteLine($"{mode}: {clients} client(s), up to {requests} calls or {LevelLimit.TotalSeconds:0} s ...");
                levels.Add(await load.RunAsync(mode, clients, requests, LevelLimit));
            }
            if (mode == "heads")
            {
                var (soakLoad, soakMemory) = await SoakAsync(server, load, soak, output);
                levels.Add(soakLoad);
                memory = soakMemory;
            }
        }
        return Finish(output, levels, memory!);
    }

    private static async Task<(LoadResult Load, SoakResult Memory)> SoakAsync(ServerUnderTest server, PatientViewLoad load, TimeSpan length, TextWriter output)
    {
        output.WriteLine($"soak: heads, {SoakClients} clients for {length.TotalSeconds:0} s, resident memory sampled every {SoakSampleInterval.TotalSeconds:0} s ...");
        using var scraper = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var samples = new List<(double Seconds, double MiB)> { (0, server.ResidentMiB()) };
        var heap = new List<(double Seconds, double HeapMiB, double CommittedMiB)>();
        var clock = Stopwatch.StartNew();
        var running = load.RunAsync("heads soak", SoakClients, int.MaxValue, length);
        while (!running.IsCompleted)
        {
            await Task.WhenAny(running, Task.Delay(SoakSampleInterval));
            samples.Add((clock.Elapsed.TotalSeconds, server.ResidentMiB()));
            var (heapMiB, committedMiB) = await server.GcMiBAsync(scraper);
            heap.Add((clock.Elapsed.TotalSeconds, heapMiB, committedMiB));
        }
        return (await running, new SoakResult(samples, heap));
    }

    private static BenchmarkOutcome Finish(TextWriter output, List<LoadResult> levels, SoakResult soak)
    {
        var heads8 = levels.Single(l => l.Mode == "heads" && l.Clients == 8);
        var errors = levels.Sum(l => l.Errors);
        var targets = new[]
        {
            new TargetResult("heads_p99_ms_8_clients", Rollout.Percentiles.Of(heads8.LatenciesMs).P99, HeadsP99TargetMs, TargetDirection.Below),
            new TargetResult("errors", errors, 1, TargetDirection.Below),
            new TargetResult("soak_rss_growth_pct", soak.GrowthPercent, RssGrowthTargetPercent, TargetDirection.Below),
        };
        ServiceReport.Write(output, levels, soak, targets);
        var problems = errors == 0 ? [] : new[] { string.Create(CultureInfo.InvariantCulture, $"{errors} call(s) failed (not 200 with cards)") };
        return new BenchmarkOutcome(targets, problems);
    }

    private static int RequestBudget(string mode, int clients, bool quick) => (mode, quick) switch
    {
        ("heads", false) => 200 * Math.Max(clients, 2),
        ("heads", true) => 50 * Math.Max(clients, 2),
        (_, false) => 2 * Math.Max(clients, 4),
        _ => clients,
    };

    private static TimeSpan SoakLength(bool quick)
    {
        var text = Environment.GetEnvironmentVariable(SoakVariable);
        if (string.IsNullOrEmpty(text))
            return TimeSpan.FromSeconds(quick ? 10 : 300);
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds < 10)
            throw new BenchmarkException($"{SoakVariable}='{text}' is not a whole number of seconds >= 10.");
        return TimeSpan.FromSeconds(seconds);
    }
}

/// <summary>
/// The server's resident memory over the soak: (seconds since its start, MiB). A garbage-collected heap breathes: RSS
/// rises until a collection and falls after it, by about 10 MiB here, so two single samples (the first and the last)
/// measure where each fell in that cycle more than any growth. Growth is therefore judged on the first and the last
/// <see cref="WindowSeconds"/> of the soak (each spans several collections): the larger of the change of their means and
/// the change of their peaks, so a leak shows in either and a breathing heap in neither. The single-sample change is
/// still reported.
/// </summary>
/// <param name="Heap">The collector's heap after its last collection and its committed memory at each sample, in MiB.</param>
internal sealed record SoakResult(IReadOnlyList<(double Seconds, double MiB)> Samples, IReadOnlyList<(double Seconds, double HeapMiB, double CommittedMiB)> Heap)
{
    /// <summary>The window length: a minute, or a fifth of a shorter soak.</summary>
    public double WindowSeconds => Math.Min(60, Samples[^1].Seconds / 5);

    public double StartMiB => Samples[0].MiB;

    public double EndMiB => Samples[^1].MiB;

    /// <summary>Change from the first sample to the last, in percent.</summary>
    public double EndpointGrowthPercent => Percent(StartMiB, EndMiB);

    public IReadOnlyList<double> FirstWindow => Samples.Where(s => s.Seconds <= WindowSeconds).Select(s => s.MiB).ToArray();

    public IReadOnlyList<double> LastWindow => Samples.Where(s => s.Seconds >= Samples[^1].Seconds - WindowSeconds).Select(s => s.MiB).ToArray();

    public double MeanGrowthPercent => Percent(FirstWindow.Average(), LastWindow.Average());

    public double PeakGrowthPercent => Percent(FirstWindow.Max(), LastWindow.Max());

    /// <summary>The growth the target judges: the larger of the window means' and the window peaks' change.</summary>
    public double GrowthPercent => Math.Max(MeanGrowthPercent, PeakGrowthPercent);

    /// <summary>The mean managed heap and committed memory over the first and the last window.</summary>
    public ((double Heap, double Committed) First, (double Heap, double Committed) Last) HeapWindows()
    {
        // The heap is first read with the second RSS sample, so a short soak's first window may hold none: its first reading stands in.
        var first = Heap.Where(s => s.Seconds <= WindowSeconds).DefaultIfEmpty(Heap[0]).ToArray();
        var last = Heap.Where(s => s.Seconds >= Samples[^1].Seconds - WindowSeconds).DefaultIfEmpty(Heap[^1]).ToArray();
        return ((first.Average(s => s.HeapMiB), first.Average(s => s.CommittedMiB)), (last.Average(s => s.HeapMiB), last.Average(s => s.CommittedMiB)));
    }

    private static double Percent(double from, double to) => 100 * (to - from) / from;
}
