using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FhirRisk.Bench.Infrastructure;
using FhirRisk.Synthetic;

namespace FhirRisk.Bench.Simulate;

/// <summary>
/// Hidden verb <c>simulate-child &lt;out-dir&gt; &lt;patients&gt; &lt;seed&gt;</c>: runs <see cref="CohortSimulator"/> once in a
/// process of its own and prints one JSON object with the wall time, CPU time, peak RSS (VmHWM), resources and bytes
/// written, so the peak is the simulator's alone (issue 5: 10,000 patients in under 2 minutes on 2 cores).
/// </summary>
internal sealed class SimulateChild : IBenchmarkChildVerb
{
    public const string VerbName = "simulate-child";

    public string Verb => VerbName;

    public int Run(IReadOnlyList<string> arguments, TextWriter output)
    {
        if (arguments.Count != 3)
            throw new BenchmarkException($"Usage: {VerbName} <out-dir> <patients> <seed>");
        var settings = new SimulationSettings
        {
            OutputFolder = arguments[0],
            Patients = int.Parse(arguments[1], CultureInfo.InvariantCulture),
            Seed = ulong.Parse(arguments[2], CultureInfo.InvariantCulture),
        };
        using var self = Process.GetCurrentProcess();
        var (user, system) = (self.UserProcessorTime, self.PrivilegedProcessorTime);
        var watch = Stopwatch.StartNew();
        var summary = new CohortSimulator(settings).Run();
        var elapsed = watch.Elapsed.TotalMilliseconds;
        self.Refresh();

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("elapsed_ms", elapsed);
            writer.WriteNumber("user_ms", (self.UserProcessorTime - user).TotalMilliseconds);
            writer.WriteNumber("system_ms", (self.PrivilegedProcessorTime - system).TotalMilliseconds);
            writer.WriteNumber("peak_mb", PeakMemory.PeakResidentMegabytes());
            writer.WriteNumber("patients", summary.Patients);
            writer.WriteNumber("deaths", summary.Deaths);
            writer.WriteNumber("resources", summary.ResourceCount);
            writer.WriteNumber("bytes", Directory.EnumerateFiles(settings.OutputFolder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length));
            writer.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        return 0;
    }

    /// <summary>Runs the child and parses its answer.</summary>
    public static SimulateChildMeasurement Measure(string outputFolder, int patients, ulong seed, string workDirectory)
    {
        var json = SelfProcess.RunChildVerb(VerbName,
            [outputFolder, patients.ToString(CultureInfo.InvariantCulture), seed.ToString(CultureInfo.InvariantCulture)],
            workDirectory, TimeSpan.FromMinutes(30));
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return new SimulateChildMeasurement(
                root.GetProperty("elapsed_ms").GetDouble(),
                root.GetProperty("user_ms").GetDouble(),
                root.GetProperty("system_ms").GetDouble(),
                root.GetProperty("peak_mb").GetDouble(),
                root.GetProperty("patients").GetInt32(),
                root.GetProperty("deaths").GetInt32(),
                root.GetProperty("resources").GetInt64(),
                root.GetProperty("bytes").GetInt64());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new BenchmarkException(string.Create(CultureInfo.InvariantCulture, $"{VerbName} printed an unexpected answer: {json}"), ex);
        }
    }
}

/// <summary>What one <see cref="SimulateChild"/> run measured.</summary>
internal sealed record SimulateChildMeasurement(
    double ElapsedMilliseconds,
    double UserMilliseconds,
    double SystemMilliseconds,
    double PeakMegabytes,
    int Patients,
    int Deaths,
    long Resources,
    long Bytes);
