namespace FhirRisk.Model;

/// <summary>
/// How the CPU kernels may use the machine. Every kernel is deterministic for a given <see cref="Threads"/>: work is
/// split into fixed chunks whose results are combined in a fixed order, so a run repeats bit for bit.
/// </summary>
/// <param name="Threads">Worker threads for one kernel call (1 = run on the caller only).</param>
public sealed record ComputeOptions(int Threads)
{
    /// <summary>One thread per core.</summary>
    public static ComputeOptions Default { get; } = new(Environment.ProcessorCount);

    /// <summary>Single-threaded: for tests and for callers that parallelise above the kernels.</summary>
    public static ComputeOptions SingleThreaded { get; } = new(1);
}
