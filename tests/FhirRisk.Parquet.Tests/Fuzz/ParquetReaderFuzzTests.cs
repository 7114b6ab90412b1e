using System.Globalization;
using FhirRisk.Testing;

namespace FhirRisk.Parquet.Tests.Fuzz;

/// <summary>
/// Acceptance: the reader, fed at least 10,000 mutations of real files within a minute, fails only with
/// <see cref="ParquetException"/> — never another exception, never a hang, never a huge allocation.
/// </summary>
public sealed class ParquetReaderFuzzTests
{
    /// <summary>Overrides the base seed for exploratory runs; failures print the case seed either way.</summary>
    public const string SeedVariable = "FHIRRISK_FUZZ_SEED";

    private const int PlannedCases = 12_000;
    private const int RequiredCases = 10_000;

    [ExternalDataFact]
    public void MutatedRealAndWrittenFiles_ReadWithDefaults_FailOnlyWithParquetException()
    {
        var seeds = FuzzSeedCorpus.RealFiles().Concat(FuzzSeedCorpus.WrittenFiles()).ToArray();
        foreach (var seed in seeds)
            AssertSeedReadsCleanly(seed);
        var baseSeed = BaseSeed();
        var campaign = new FuzzCampaign
        {
            Budget = TimeSpan.FromSeconds(60),
            CaseTimeLimit = TimeSpan.FromSeconds(2),
            // A 2^31 length field must be refused, not allocated; 256 MB leaves room for any honest read of these small seeds.
            AllocationLimit = 256L << 20,
            MaxFailures = 5,
        };

        var result = campaign.Run(PlannedCases, index =>
        {
            // Each case draws everything from its own seed, so one case can be replayed without the ones before it.
            var caseSeed = unchecked(baseSeed * 31 + index);
            var random = new Random(caseSeed);
            var seed = seeds[random.Next(seeds.Length)];
            var (bytes, mutation) = new ParquetMutator(random).Mutate(seed, seeds);
            return new FuzzInput(index, bytes, $"case {index} (case seed {caseSeed}, {SeedVariable}={baseSeed}) from {seed.Name} [{mutation}]");
        });

        Assert.True(result.Failures.Count == 0,
            $"{result.Failures.Count} of {result.CasesRun} fuzz cases misbehaved:\n{string.Join("\n", result.Failures)}");
        Assert.True(result.CasesRun >= RequiredCases,
            $"only {result.CasesRun} fuzz cases ran within {campaign.Budget.TotalSeconds} s; at least {RequiredCases} are required");
    }

    // The seeds themselves are valid files: reading them must not throw at all, or the fuzz starts from garbage.
    private static void AssertSeedReadsCleanly(FuzzSeed seed)
    {
        using var reader = new ParquetFileReader(new MemoryStream(seed.Bytes, writable: false), seed.Name);
        long rows = 0;
        foreach (var group in reader.ReadRowGroups())
            rows += group.RowCount;
        Assert.Equal(reader.RowCount, rows);
        Assert.True(reader.Schema.Fields.Count > 0, $"{seed.Name} has no readable columns");
    }

    private static int BaseSeed()
    {
        var configured = Environment.GetEnvironmentVariable(SeedVariable);
        return string.IsNullOrEmpty(configured) ? 20_251_122 : int.Parse(configured, CultureInfo.InvariantCulture);
    }
}
