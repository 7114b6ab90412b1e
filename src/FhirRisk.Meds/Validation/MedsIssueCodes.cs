namespace FhirRisk.Meds;

/// <summary>
/// Stable codes of the issues <see cref="MedsValidator"/> reports (and <see cref="MedsFormatException"/> carries).
/// Documented with their severities in docs/formats/meds.md; tests assert these, never messages.
/// </summary>
public static class MedsIssueCodes
{
    /// <summary>Error: <c>data/</c> is missing or holds no <c>.parquet</c> shard.</summary>
    public const string NoDataShards = "MEDS001";
    /// <summary>Error: a metadata file (<c>codes.parquet</c>, <c>subject_splits.parquet</c>, <c>dataset.json</c>) is missing.</summary>
    public const string MetadataFileMissing = "MEDS002";
    /// <summary>Error: <c>dataset.json</c> is not a JSON object or a known field has the wrong JSON type.</summary>
    public const string BadDatasetJson = "MEDS003";
    /// <summary>Warning: <c>meds_version</c> is absent or not 0.4.x.</summary>
    public const string MedsVersionMismatch = "MEDS004";
    /// <summary>Error: a file cannot be read as Parquet (the message carries the Parquet error code).</summary>
    public const string UnreadableParquet = "MEDS005";
    /// <summary>Error: a required column is missing.</summary>
    public const string RequiredColumnMissing = "MEDS010";
    /// <summary>
    /// Error: a column has a type MEDS does not allow (e.g. <c>time</c> as plain int64, <c>subject_id</c> as string), or a
    /// required or optional MEDS column has a type the Parquet layer cannot represent (struct, map, unsigned 64-bit, INT96).
    /// </summary>
    public const string ColumnWrongType = "MEDS011";
    /// <summary>
    /// Warning: a column has a non-standard type we convert (ms/ns or UTC-adjusted timestamps, float64 or DECIMAL values),
    /// or an <c>encounter_id</c> that is not int64 and is ignored.
    /// </summary>
    public const string ColumnTypeConverted = "MEDS012";
    /// <summary>Error: a row has a null <c>subject_id</c>.</summary>
    public const string NullSubjectId = "MEDS013";
    /// <summary>Error: a row has a null <c>code</c>.</summary>
    public const string NullCode = "MEDS014";
    /// <summary>Error: a subject's times decrease.</summary>
    public const string TimesUnsorted = "MEDS015";
    /// <summary>Error: a static (null-time) row follows a timed row of the same subject.</summary>
    public const string StaticAfterTimed = "MEDS016";
    /// <summary>Error: a subject's rows are not contiguous within a shard.</summary>
    public const string SubjectNotContiguous = "MEDS017";
    /// <summary>Error: a subject appears in more than one shard.</summary>
    public const string SubjectInSeveralShards = "MEDS018";
    /// <summary>Warning (error when strict): a code in the data is not listed in <c>codes.parquet</c>.</summary>
    public const string CodeNotInMetadata = "MEDS019";
    /// <summary>Error: a subject in the shards is not listed in <c>subject_splits.parquet</c>.</summary>
    public const string SubjectNotInSplits = "MEDS020";
    /// <summary>Error: a subject's shard folder differs from its split in <c>subject_splits.parquet</c>.</summary>
    public const string SubjectInWrongSplitFolder = "MEDS021";
    /// <summary>Warning: a split listed in <c>subject_splits.parquet</c> has no shards.</summary>
    public const string SplitWithoutShards = "MEDS022";
    /// <summary>Error: a subject is listed more than once in <c>subject_splits.parquet</c>.</summary>
    public const string DuplicateSplitEntry = "MEDS023";
    /// <summary>Warning: a subject listed in a split that has shards has no events.</summary>
    public const string ListedSubjectWithoutEvents = "MEDS024";
    /// <summary>Warning: a shard is not at <c>data/&lt;split&gt;/&lt;name&gt;.parquet</c>, so its split is unknown.</summary>
    public const string ShardOutsideSplitFolder = "MEDS025";
    /// <summary>Error: a row of <c>subject_splits.parquet</c> has a null or empty split.</summary>
    public const string NullSplit = "MEDS026";
    /// <summary>Error: a timestamp lies outside the years 1..9999 that .NET (and our tools) can represent.</summary>
    public const string TimeOutOfRange = "MEDS027";
    /// <summary>Information: more issues with one code were found than the configured cap; the rest are omitted.</summary>
    public const string IssuesOmitted = "MEDS099";
}
