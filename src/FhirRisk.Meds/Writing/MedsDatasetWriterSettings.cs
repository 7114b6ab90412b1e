using FhirRisk.Core;
using FhirRisk.Parquet;

namespace FhirRisk.Meds;

/// <summary>
/// Fractions of subjects assigned to train/tuning/held_out. Assignment hashes the subject id with a salt
/// (<see cref="StableHash.UnitInterval"/>), so a subject keeps its split across runs, machines and dataset sizes.
/// </summary>
public sealed record MedsSplitFractions(double Train, double Tuning, double HeldOut)
{
    public static readonly MedsSplitFractions Default = new(0.8, 0.1, 0.1);

    /// <summary>The split of <paramref name="subjectId"/>: train for u &lt; Train, tuning for u &lt; Train+Tuning, else held_out.</summary>
    public string Assign(long subjectId, ulong salt)
    {
        var u = StableHash.UnitInterval(subjectId, salt);
        if (u < Train)
            return MedsSchema.TrainSplit;
        return u < Train + Tuning ? MedsSchema.TuningSplit : MedsSchema.HeldOutSplit;
    }

    public void Validate()
    {
        if (Train < 0 || Tuning < 0 || HeldOut < 0 || Math.Abs(Train + Tuning + HeldOut - 1) > 1e-9)
            throw new ArgumentException($"Split fractions must be non-negative and sum to 1 (got {Train}/{Tuning}/{HeldOut}).");
    }
}

/// <summary>Settings of <see cref="MedsDatasetWriter"/>. A shard is closed when either limit is reached.</summary>
public sealed record MedsDatasetWriterSettings
{
    public static readonly MedsDatasetWriterSettings Default = new();

    /// <summary>Most subjects per shard file (default 10,000).</summary>
    public int MaxSubjectsPerShard { get; init; } = 10_000;

    /// <summary>Most event rows per shard file (default 5,000,000); a larger subject gets a shard of its own.</summary>
    public long MaxRowsPerShard { get; init; } = 5_000_000;

    public MedsSplitFractions SplitFractions { get; init; } = MedsSplitFractions.Default;

    /// <summary>Salt of the split hash; change it to draw a different (still deterministic) split.</summary>
    public ulong SplitSalt { get; init; }

    /// <summary>Parquet settings of every file; <see cref="ParquetWriterOptions.RowGroupSize"/> also bounds buffered rows.</summary>
    public ParquetWriterOptions ParquetOptions { get; init; } = ParquetWriterOptions.Default;

    public string DatasetName { get; init; } = "FhirRisk";

    public string DatasetVersion { get; init; } = "0.1.0";

    public string EtlName { get; init; } = "FhirRisk";

    public string EtlVersion { get; init; } = "0.1.0";

    /// <summary>The site time zone the source's dates were read in (IANA id), written to <c>dataset.json</c> as
    /// <c>fhirrisk_time_zone</c> (<see cref="MedsDatasetMetadata.SiteTimeZone"/>); null (default) writes none: UTC.</summary>
    public string? SiteTimeZone { get; init; }

    /// <summary>Stamps <c>created_at</c>; inject a fixed clock for byte-identical output.</summary>
    public IClock Clock { get; init; } = SystemClock.Instance;

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSubjectsPerShard, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRowsPerShard, 1);
        ArgumentNullException.ThrowIfNull(ParquetOptions);
        ArgumentNullException.ThrowIfNull(Clock);
        SplitFractions.Validate();
    }
}

/// <summary>What <see cref="MedsDatasetWriter.Complete"/> wrote.</summary>
/// <param name="SubjectsBySplit">Subjects per split.</param>
/// <param name="Shards">Shard paths relative to the root, e.g. <c>data/train/0.parquet</c>.</param>
/// <param name="Events">Event rows written.</param>
/// <param name="Codes">Rows of <c>codes.parquet</c>.</param>
public sealed record MedsDatasetWriteSummary(IReadOnlyDictionary<string, int> SubjectsBySplit, IReadOnlyList<string> Shards, long Events, int Codes);
