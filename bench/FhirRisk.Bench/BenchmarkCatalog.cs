using FhirRisk.Bench.Ingest;
using FhirRisk.Bench.Parquet;
using FhirRisk.Bench.Simulate;
using FhirRisk.Bench.Tokenize;

namespace FhirRisk.Bench;

/// <summary>The one place benchmarks and their child verbs are registered; a new benchmark adds a line here.</summary>
internal sealed class BenchmarkCatalog
{
    private BenchmarkCatalog(IReadOnlyList<IBenchmark> benchmarks, IReadOnlyList<IBenchmarkChildVerb> childVerbs)
    {
        Benchmarks = benchmarks;
        ChildVerbs = childVerbs;
    }

    public IReadOnlyList<IBenchmark> Benchmarks { get; }

    public IReadOnlyList<IBenchmarkChildVerb> ChildVerbs { get; }

    public static BenchmarkCatalog Create() => new(
        benchmarks:
        [
            new ParquetBenchmark(),
            new IngestBenchmark(),
            new TokenizeBenchmark(),
            new SimulateBenchmark(),
            new Engine.GemmBenchmark(),
            new Engine.EngineBenchmark(),
            new Engine.DecodeBenchmark(),
            new Rollout.RolloutBenchmark(),
            new Service.ServiceBenchmark(),
            new Service.LargeCallBenchmark(),
        ],
        childVerbs:
        [
            new ParquetReadChild(),
            new IngestPeakChild(),
            new SimulateChild(),
        ]);

    public IBenchmark? FindBenchmark(string name) =>
        Benchmarks.FirstOrDefault(b => string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase));

    public IBenchmarkChildVerb? FindChildVerb(string verb) =>
        ChildVerbs.FirstOrDefault(v => string.Equals(v.Verb, verb, StringComparison.Ordinal));
}
