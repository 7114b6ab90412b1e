using FhirRisk.Parquet;

namespace FhirRisk.Meds;

/// <summary>
/// Names and Parquet schemas of the MEDS v0.4 format (reference/peers.md §5.1) plus our <c>encounter_id</c> extension.
/// </summary>
public static class MedsSchema
{
    /// <summary>The MEDS version our writer targets and stamps into <c>dataset.json</c>.</summary>
    public const string MedsVersion = "0.4";

    public const string SubjectIdColumn = "subject_id";
    public const string TimeColumn = "time";
    public const string CodeColumn = "code";
    public const string NumericValueColumn = "numeric_value";
    public const string TextValueColumn = "text_value";
    public const string EncounterIdColumn = "encounter_id";

    public const string DescriptionColumn = "description";
    public const string ParentCodesColumn = "parent_codes";
    public const string SplitColumn = "split";

    public const string TrainSplit = "train";
    public const string TuningSplit = "tuning";
    public const string HeldOutSplit = "held_out";

    public const string BirthCode = "MEDS_BIRTH";
    public const string DeathCode = "MEDS_DEATH";

    /// <summary>Folder of the event shards, relative to the dataset root.</summary>
    public const string DataFolder = "data";

    /// <summary>Folder of the dataset's metadata files, relative to the dataset root.</summary>
    public const string MetadataFolder = "metadata";
    public const string CodesFile = "metadata/codes.parquet";
    public const string SubjectSplitsFile = "metadata/subject_splits.parquet";
    public const string DatasetMetadataFile = "metadata/dataset.json";

    /// <summary>The schema of the event shards we write: the MEDS columns in spec order, then <c>encounter_id</c>.</summary>
    public static ParquetSchema Data { get; } = new(
        new ParquetField(SubjectIdColumn, ParquetType.Int64, Nullable: false),
        ParquetField.Timestamp(TimeColumn),
        new ParquetField(CodeColumn, ParquetType.String, Nullable: false),
        new ParquetField(NumericValueColumn, ParquetType.Float),
        new ParquetField(TextValueColumn, ParquetType.String),
        new ParquetField(EncounterIdColumn, ParquetType.Int64));

    /// <summary>The schema of <c>metadata/codes.parquet</c> (<c>CodeMetadataSchema</c>).</summary>
    public static ParquetSchema Codes { get; } = new(
        new ParquetField(CodeColumn, ParquetType.String, Nullable: false),
        new ParquetField(DescriptionColumn, ParquetType.String),
        ParquetField.ListOf(ParentCodesColumn, ParquetType.String));

    /// <summary>The schema of <c>metadata/subject_splits.parquet</c> (<c>SubjectSplitSchema</c>).</summary>
    public static ParquetSchema SubjectSplits { get; } = new(
        new ParquetField(SubjectIdColumn, ParquetType.Int64, Nullable: false),
        new ParquetField(SplitColumn, ParquetType.String, Nullable: false));

    /// <summary>Orders split names the way people expect to read them: train, tuning, held_out, then others A→Z.</summary>
    public static int CompareSplits(string? left, string? right)
    {
        var byRank = SplitRank(left).CompareTo(SplitRank(right));
        return byRank != 0 ? byRank : string.CompareOrdinal(left, right);
    }

    private static int SplitRank(string? split) => split switch
    {
        TrainSplit => 0,
        TuningSplit => 1,
        HeldOutSplit => 2,
        _ => 3,
    };
}
