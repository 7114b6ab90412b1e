using System.Diagnostics;
using FhirRisk.Bench.Infrastructure;
using FhirRisk.Model.Torch;

namespace FhirRisk.Bench;

/// <summary>
/// Parses <c>&lt;name&gt; [--quick] [--keep]</c>, runs the benchmark in a fresh scratch folder and prints its
/// <c>RESULT</c> lines last. Exit codes: 0 the run completed (targets may fail), 1 an error, 2 a usage error.
/// </summary>
internal static class BenchmarkCommandLine
{
    public static int Run(IReadOnlyList<string> args, BenchmarkCatalog catalog, TextWriter output, TextWriter error)
    {
        if (args.Count == 0 || args[0] is "list" or "--help" or "-h")
        {
            WriteList(catalog, output);
            return 0;
        }

        var childVerb = catalog.FindChildVerb(args[0]);
        if (childVerb is not null)
            return RunChildVerb(childVerb, args, error);

        var benchmark = catalog.FindBenchmark(args[0]);
        if (benchmark is null)
        {
            error.WriteLine($"Unknown benchmark '{args[0]}'. Hint: run with 'list' to see the available benchmarks.");
            return 2;
        }

        var flags = args.Skip(1).ToList();
        TorchDevice? torch = null;
        var at = flags.IndexOf("--torch");
        if (at >= 0)
        {
            if (!benchmark.RunsOnTorch)
            {
                error.WriteLine($"{benchmark.Name} runs on the CPU kernels only. Hint: leave --torch out (it applies to: {string.Join(", ", catalog.Benchmarks.Where(b => b.RunsOnTorch).Select(b => b.Name))}).");
                return 2;
            }
            if (at + 1 >= flags.Count || !TryParseDevice(flags[at + 1], out var device))
            {
                error.WriteLine("--torch needs a device: cpu, cuda or cuda:N.");
                return 2;
            }
            torch = device;
            flags.RemoveRange(at, 2);
        }
        var unknown = flags.Where(f => f is not "--quick" and not "--keep").ToList();
        if (unknown.Count > 0)
        {
            error.WriteLine($"Unknown option(s): {string.Join(' ', unknown)}. Usage: {benchmark.Name} [--quick] [--keep]{(benchmark.RunsOnTorch ? " [--torch DEVICE]" : "")}");
            return 2;
        }

        return RunBenchmark(benchmark, quick: flags.Contains("--quick"), keepFiles: flags.Contains("--keep"), torch, output, error);
    }

    private static bool TryParseDevice(string text, out TorchDevice device)
    {
        try
        {
            device = TorchDevice.Parse(text);
            return true;
        }
        catch (ArgumentException)
        {
            device = TorchDevice.Cpu;
            return false;
        }
    }

    private static int RunBenchmark(IBenchmark benchmark, bool quick, bool keepFiles, TorchDevice? torch, TextWriter output, TextWriter error)
    {
        var workDirectory = Directory.CreateTempSubdirectory($"fhirrisk-bench-{benchmark.Name}-").FullName;
        var total = Stopwatch.StartNew();
        try
        {
            var settings = new BenchmarkSettings(quick, RepositoryLayout.FindRoot(), workDirectory, output, torch);
            output.WriteLine($"== {benchmark.Name}{(quick ? " (quick)" : "")}{(torch is { } d ? $" on the Torch backend ({d})" : "")}: {benchmark.Description}");
            output.WriteLine($"Machine: {MachineDescription.Describe()}");
            var outcome = benchmark.Run(settings);
            output.WriteLine($"Total {total.Elapsed.TotalSeconds:0.0} s");
            foreach (var message in outcome.Errors)
                error.WriteLine($"ERROR: {message}");
            foreach (var target in outcome.Targets)
                output.WriteLine(target.ToResultLine(benchmark.Name));
            return outcome.Errors.Count == 0 ? 0 : 1;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            WriteError(error, ex);
            return 1;
        }
        finally
        {
            if (keepFiles)
                output.WriteLine($"Kept files in {workDirectory}");
            else
                Directory.Delete(workDirectory, recursive: true);
        }
    }

    private static int RunChildVerb(IBenchmarkChildVerb verb, IReadOnlyList<string> args, TextWriter error)
    {
        try
        {
            return verb.Run(args.Skip(1).ToList(), Console.Out);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            WriteError(error, ex);
            return 1;
        }
    }

    /// <summary>Our own exceptions carry an actionable message; anything else also needs its stack to be diagnosed.</summary>
    private static void WriteError(TextWriter error, Exception exception) =>
        error.WriteLine(exception is BenchmarkException ? $"ERROR: {exception.Message}" : $"ERROR: {exception}");

    private static void WriteList(BenchmarkCatalog catalog, TextWriter output)
    {
        output.WriteLine("Usage: dotnet run -c Release --project bench/FhirRisk.Bench -- <name> [--quick] [--keep] [--torch DEVICE]");
        output.WriteLine("  --quick         smaller inputs (finishes within 60 s on 2 cores)");
        output.WriteLine("  --keep          keep the scratch folder with the files the run wrote");
        output.WriteLine("  --torch DEVICE  run FhirRisk's side on the Torch backend (cpu, cuda, cuda:N), and the PyTorch peer on the same");
        output.WriteLine("                  device (rollout only; docs/benchmarks.md, \"On a GPU\")");
        output.WriteLine();
        output.WriteLine("Benchmarks:");
        var width = catalog.Benchmarks.Max(b => b.Name.Length);
        foreach (var benchmark in catalog.Benchmarks)
            output.WriteLine($"  {benchmark.Name.PadRight(width)}  {benchmark.Description}");
    }
}
