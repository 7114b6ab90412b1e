namespace FhirRisk.Training.Demo;

/// <summary>The stages of a demo-model run, in order (docs/demo-model.md).</summary>
public static class DemoStages
{
    public const string Simulate = "simulate";
    public const string Ingest = "ingest";
    public const string Tokenize = "tokenize";
    public const string Labels = "labels";
    public const string Pretrain = "pretrain";
    public const string PretrainGenerative = "pretrain generative";
    public const string Finetune = "finetune";
    public const string Probe = "probe";
    public const string CountBaseline = "count baseline";
    public const string Evaluate = "evaluate";
    public const string Validate = "validate";

    /// <summary>Every stage, in the order they run.</summary>
    public static IReadOnlyList<string> All { get; } = [Simulate, Ingest, Tokenize, Labels, Pretrain, PretrainGenerative, Finetune, Probe, CountBaseline, Evaluate, Validate];
}

/// <summary>Where a demo-model run is: a stage, how far it is (in the stage's own unit) and a short detail line with
/// counts and losses only, never patient data.</summary>
/// <param name="Stage">One of <see cref="DemoStages.All"/>.</param>
/// <param name="Done">Units done.</param>
/// <param name="Total">Units in all (at least 1).</param>
/// <param name="Detail">What the stage is doing, e.g. "step 120/3000: loss 1.234".</param>
public readonly record struct DemoProgress(string Stage, double Done, double Total, string Detail);

/// <summary>The simulated cohort a demo run starts from: a FHIR R4 Bulk Data export with its ground truth.</summary>
/// <param name="Folder">The export folder (manifest.json and NDJSON files; the ingestion input).</param>
/// <param name="TruthFile">ground_truth.parquet (docs/formats/simulator-truth.md).</param>
/// <param name="OracleAuroc">Per task, the simulator's oracle AUROC over the whole cohort.</param>
public sealed record SimulatedCohort(string Folder, string TruthFile, IReadOnlyDictionary<string, double> OracleAuroc);

/// <summary>
/// Writes the simulated cohort. The host supplies it (the CLI wraps <c>FhirRisk.Synthetic.CohortSimulator</c>): the
/// training library may not reference the simulator (DESIGN §2), so the demo pipeline takes the cohort as a seam.
/// </summary>
public interface IDemoCohortSource
{
    /// <summary>Simulates <paramref name="patients"/> patients from <paramref name="seed"/> into <paramref name="folder"/>
    /// (new or empty), reporting (patients done, patients).</summary>
    SimulatedCohort Write(string folder, int patients, ulong seed, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken);
}
