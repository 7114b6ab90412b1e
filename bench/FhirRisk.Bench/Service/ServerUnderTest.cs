using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Service;

/// <summary>
/// The service as it ships (<c>src/FhirRisk.Server</c>, built in Release), started in a child process on 127.0.0.1 with
/// the demo model, local-demo CDS Hooks authentication and a SQLite store in the scratch folder. A host cannot be
/// referenced by the bench (DESIGN §2), and a process of its own also makes its resident memory the server's alone.
/// </summary>
internal sealed class ServerUnderTest : IDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);

    private readonly Process _process;

    private ServerUnderTest(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    /// <summary>The HTTP listener (CDS Hooks, health).</summary>
    public Uri Address { get; }

    /// <summary>Builds the server into <paramref name="outputFolder"/>; returns the assembly to run.</summary>
    public static string Build(string repositoryRoot, string outputFolder)
    {
        var project = Path.Combine(repositoryRoot, "src", "FhirRisk.Server", "FhirRisk.Server.csproj");
        ExternalProcess.RunForOutput("dotnet", ["build", project, "-c", "Release", "-v", "q", "-nologo", "-o", outputFolder], repositoryRoot, TimeSpan.FromMinutes(10));
        return Path.Combine(outputFolder, "FhirRisk.Server.dll");
    }

    /// <summary>Starts the server with <paramref name="method"/> as its default prediction method and waits until ready.</summary>
    /// <param name="environment">More environment variables for the server (settings as <c>FHIRRISK_…</c>, runtime knobs
    /// such as <c>DOTNET_GCHeapHardLimit</c>).</param>
    /// <param name="name">The server's folder under <paramref name="workFolder"/> (its store); default <c>server-METHOD</c>.</param>
    public static async Task<ServerUnderTest> StartAsync(string serverAssembly, string repositoryRoot, string workFolder, string method,
        IReadOnlyDictionary<string, string>? environment = null, string? name = null)
    {
        var folder = Directory.CreateDirectory(Path.Combine(workFolder, name ?? $"server-{method}")).FullName;
        var (httpPort, grpcPort) = (FreePort(), FreePort());
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(serverAssembly);
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["FHIRRISK_Http__Host"] = "127.0.0.1",
            ["FHIRRISK_Http__Port"] = httpPort.ToString(CultureInfo.InvariantCulture),
            ["FHIRRISK_Grpc__Host"] = "127.0.0.1",
            ["FHIRRISK_Grpc__Port"] = grpcPort.ToString(CultureInfo.InvariantCulture),
            ["FHIRRISK_CdsHooks__Authentication__Mode"] = "LocalDemo",
            ["FHIRRISK_TimelineStore__SqlitePath"] = Path.Combine(folder, "timeline.db"),
            ["FHIRRISK_Model__Directory"] = Path.Combine(repositoryRoot, "models", "demo"),
            ["FHIRRISK_Model__DefaultMethod"] = method,
            ["FHIRRISK_Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings.Concat(environment ?? new Dictionary<string, string>()))
            start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new BenchmarkException("Cannot start the server process.");
        // Drain its output so a chatty server never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerUnderTest(process, new Uri($"http://127.0.0.1:{httpPort}"));
        try
        {
            await server.WaitUntilReadyAsync();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>The server's resident set size (VmRSS), in MiB.</summary>
    public double ResidentMiB() => StatusMiB("VmRSS:");

    /// <summary>The server's largest resident set size so far (VmHWM), in MiB.</summary>
    public double PeakResidentMiB() => StatusMiB("VmHWM:");

    private double StatusMiB(string field)
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary>
    /// The garbage collector's heap after its last collection and its committed memory, in MiB, from the server's
    /// <c>/metrics</c> (<c>dotnet_gc_heap_size_bytes</c>, <c>dotnet_gc_committed_bytes</c>): beside RSS they tell managed
    /// growth from native.
    /// </summary>
    public async Task<(double HeapMiB, double CommittedMiB)> GcMiBAsync(HttpClient client)
    {
        var text = await client.GetStringAsync(new Uri(Address, "/metrics"));
        return (Gauge(text, "dotnet_gc_heap_size_bytes") / (1 << 20), Gauge(text, "dotnet_gc_committed_bytes") / (1 << 20));
    }

    private static double Gauge(string scrape, string name)
    {
        foreach (var line in scrape.Split('\n'))
        {
            if (line.StartsWith(name + " ", StringComparison.Ordinal))
                return double.Parse(line.AsSpan(name.Length + 1), CultureInfo.InvariantCulture);
        }
        throw new BenchmarkException($"The server's /metrics has no {name}.");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }

    private async Task WaitUntilReadyAsync()
    {
        using var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < ReadyTimeout)
        {
            if (_process.HasExited)
                throw new BenchmarkException($"The server exited with code {_process.ExitCode} before it was ready.");
            try
            {
                using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(200);
        }
        throw new BenchmarkException($"The server was not ready within {ReadyTimeout.TotalSeconds:0} s.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
