using FhirRisk.Model.Torch;

namespace FhirRisk.Bench;

/// <summary>
/// One benchmark: runs FhirRisk and its peer on the same input in the same run, writes a table to
/// <see cref="BenchmarkSettings.Output"/>, and returns the targets that become the final <c>RESULT</c> lines.
/// </summary>
internal interface IBenchmark
{
    /// <summary>The command-line name (<c>parquet</c>, <c>ingest</c>, …).</summary>
    string Name { get; }

    /// <summary>One line for <c>list</c>: what is measured and against which peer.</summary>
    string Description { get; }

    /// <summary>Whether FhirRisk's side can run on the Torch backend (<c>--torch DEVICE</c>) as well as on the CPU kernels.</summary>
    bool RunsOnTorch => false;

    BenchmarkOutcome Run(BenchmarkSettings settings);
}

/// <summary>
/// A hidden verb the bench executable runs in a child process of itself, so that a measurement (peak memory,
/// single-threaded time) is not polluted by the parent's heap. Not shown by <c>list</c>.
/// </summary>
internal interface IBenchmarkChildVerb
{
    string Verb { get; }

    /// <summary>Runs with the arguments after the verb; writes its machine-readable answer to <paramref name="output"/>.</summary>
    int Run(IReadOnlyList<string> arguments, TextWriter output);
}

/// <param name="Quick">Smaller inputs so the whole run finishes within 60 s on 2 cores.</param>
/// <param name="RepositoryRoot">Folder holding FhirRisk.sln (for tools/ scripts).</param>
/// <param name="WorkDirectory">Empty scratch folder, deleted after the run.</param>
/// <param name="Output">Where progress and tables go (standard output).</param>
/// <param name="Torch">The device FhirRisk's side runs on through the Torch backend (<c>--torch</c>; the peer then runs
/// there too); null for the CPU kernels.</param>
internal sealed record BenchmarkSettings(bool Quick, string RepositoryRoot, string WorkDirectory, TextWriter Output, TorchDevice? Torch = null);

/// <summary>
/// What a run produced: its targets, and errors that make the run invalid (a correctness check failed) but were
/// found after the measurements, so the table and targets are still printed.
/// </summary>
internal sealed record BenchmarkOutcome(IReadOnlyList<TargetResult> Targets, IReadOnlyList<string> Errors);
