namespace FhirRisk.Meds;

/// <summary>Optional event columns to read; <c>subject_id</c> is always read.</summary>
[Flags]
public enum MedsEventColumns
{
    None = 0,
    Time = 1,
    Code = 2,
    NumericValue = 4,
    TextValue = 8,
    EncounterId = 16,
    All = Time | Code | NumericValue | TextValue | EncounterId,
}

/// <summary>What <see cref="MedsDatasetReader"/> reads.</summary>
public sealed record MedsReadOptions
{
    public static readonly MedsReadOptions Default = new();

    /// <summary>Splits to read (e.g. <c>["train"]</c>); null reads all.</summary>
    public IReadOnlyCollection<string>? Splits { get; init; }

    /// <summary>Columns to read. A column not read comes back null (<see cref="MedsEvent.Code"/>: empty string).</summary>
    public MedsEventColumns Columns { get; init; } = MedsEventColumns.All;
}

/// <summary>One event shard of a dataset.</summary>
/// <param name="Split">The folder under <c>data/</c> holding the shard (its split), or empty when the shard lies directly in <c>data/</c>.</param>
/// <param name="RelativePath">Path from the dataset root with forward slashes, e.g. <c>data/train/0.parquet</c>.</param>
/// <param name="FullPath">Absolute path.</param>
public sealed record MedsShard(string Split, string RelativePath, string FullPath);
