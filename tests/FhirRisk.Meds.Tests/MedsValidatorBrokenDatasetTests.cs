using FhirRisk.Core;
using FhirRisk.Parquet;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests;

/// <summary>Each test breaks one MEDS rule in a hand-made dataset and asserts the issue code, severity and path.</summary>
public sealed class MedsValidatorBrokenDatasetTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private RawDataset Valid(params (long SubjectId, string Split)[] splits) =>
        new RawDataset(_temp.Path).WithMetadata(["A", "B"], splits.Length > 0 ? splits : [(1, "train"), (2, "train")]);

    private static RawRow Row(long subject, int? day, string code = "A") => new(subject, day is null ? null : RawDataset.Micros(day.Value), code);

    private IReadOnlyList<Issue> Validate(MedsValidationOptions? options = null) => MedsValidator.Validate(_temp.Path, options);

    private static Issue Single(IReadOnlyList<Issue> issues, string code)
    {
        Assert.Contains(issues, i => i.Code == code);
        return Assert.Single(issues, i => i.Code == code);
    }

    [Fact]
    public void Validate_HandMadeValidDataset_NoIssues()
    {
        Valid().WithShard("data/train/0.parquet", Row(1, null, "B"), Row(1, 1), Row(1, 1), Row(2, 3));

        Assert.Empty(Validate());
    }

    [Fact]
    public void Validate_UnsortedTimes_TimesUnsortedAtRow()
    {
        Valid().WithShard("data/train/0.parquet", Row(1, 2), Row(1, 5), Row(1, 3), Row(2, 1));

        var issue = Single(Validate(), MedsIssueCodes.TimesUnsorted);

        Assert.Equal(IssueSeverity.Error, issue.Severity);
        Assert.Equal("data/train/0.parquet:row 2", issue.Path);
    }

    [Fact]
    public void Validate_StaticRowAfterTimedRow_StaticAfterTimed()
    {
        Valid().WithShard("data/train/0.parquet", Row(1, 2), Row(1, null, "B"), Row(2, 1));

        Assert.Equal("data/train/0.parquet:row 1", Single(Validate(), MedsIssueCodes.StaticAfterTimed).Path);
    }

    [Fact]
    public void Validate_SubjectInTwoShards_SubjectInSeveralShards()
    {
        Valid().WithShard("data/train/0.parquet", Row(1, 1), Row(2, 1)).WithShard("data/train/1.parquet", Row(2, 2));

        var issue = Single(Validate(), MedsIssueCodes.SubjectInSeveralShards);

        Assert.Equal(IssueSeverity.Error, issue.Severity);
        Assert.Equal("data/train/1.parquet:row 0", issue.Path);
    }

    [Fact]
    public void Validate_SubjectRowsInterleaved_SubjectNotContiguous()
    {
        Valid().WithShard("data/train/0.parquet", Row(1, 1), Row(2, 1), Row(1, 2));

        Assert.Equal("data/train/0.parquet:row 2", Single(Validate(), MedsIssueCodes.SubjectNotContiguous).Path);
    }

    [Fact]
    public void Validate_CodeMissingFromCodesParquet_WarningOrStrictError()
    {
        Valid().WithShard("data/train/0.parquet", Row(1, 1), Row(2, 1, "C"));

        var lenient = Single(Validate(), MedsIssueCodes.CodeNotInMetadata);
        var strict = Single(Validate(new MedsValidationOptions { Strict = true }), MedsIssueCodes.CodeNotInMetadata);

        Assert.Equal(IssueSeverity.Warning, lenient.Severity);
        Assert.Equal(IssueSeverity.Error, strict.Severity);
        Assert.Equal("data/train/0.parquet:row 1", strict.Path);
    }

    [Fact]
    public void Validate_TimeWrittenAsInt64_ColumnWrongType()
    {
        var fields = new[] { new ParquetField("subject_id", ParquetType.Int64), new ParquetField("time", ParquetType.Int64), new ParquetField("code", ParquetType.String) };
        Valid().Write("data/train/0.parquet", new ParquetSchema(fields),
            [ParquetColumn.Create(fields[0], new long[] { 1 }), ParquetColumn.Create(fields[1], new long[] { 1 }), ParquetColumn.Create(fields[2], new string?[] { "A" })]);

        var issue = Single(Validate(), MedsIssueCodes.ColumnWrongType);

        Assert.Equal(IssueSeverity.Error, issue.Severity);
        Assert.Equal("data/train/0.parquet", issue.Path);
        Assert.Contains("'time'", issue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SubjectIdWrittenAsString_ColumnWrongType()
    {
        var fields = new[] { new ParquetField("subject_id", ParquetType.String), ParquetField.Timestamp("time"), new ParquetField("code", ParquetType.String) };
        Valid().Write("data/train/0.parquet", new ParquetSchema(fields),
            [ParquetColumn.Create(fields[0], new string?[] { "1" }), ParquetColumn.Create(fields[1], new long[] { 1 }), ParquetColumn.Create(fields[2], new string?[] { "A" })]);

        Assert.Contains("'subject_id'", Single(Validate(), MedsIssueCodes.ColumnWrongType).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_CodeColumnMissing_RequiredColumnMissing()
    {
        var fields = new[] { new ParquetField("subject_id", ParquetType.Int64), ParquetField.Timestamp("time") };
        Valid().Write("data/train/0.parquet", new ParquetSchema(fields), [ParquetColumn.Create(fields[0], new long[] { 1 }), ParquetColumn.Create(fields[1], new long[] { 1 })]);

        Assert.Contains("'code'", Single(Validate(), MedsIssueCodes.RequiredColumnMissing).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NullSubjectAndNullCode_BothReportedWithRows()
    {
        Valid().WithShard("data/train/0.parquet", Row(1, 1), new RawRow(null, RawDataset.Micros(2), "A"), new RawRow(2, RawDataset.Micros(2), null));

        var issues = Validate();

        Assert.Equal("data/train/0.parquet:row 1", Single(issues, MedsIssueCodes.NullSubjectId).Path);
        Assert.Equal("data/train/0.parquet:row 2", Single(issues, MedsIssueCodes.NullCode).Path);
    }

    [Fact]
    public void Validate_SubjectNotListedOrInWrongFolder_SplitErrors()
    {
        Valid((1, "train"), (2, "tuning")).WithShard("data/train/0.parquet", Row(1, 1), Row(2, 1), Row(3, 1));

        var issues = Validate();

        Assert.Equal("data/train/0.parquet:row 1", Single(issues, MedsIssueCodes.SubjectInWrongSplitFolder).Path);
        Assert.Equal("data/train/0.parquet:row 2", Single(issues, MedsIssueCodes.SubjectNotInSplits).Path);
        Assert.Equal("data/tuning", Single(issues, MedsIssueCodes.SplitWithoutShards).Path);
    }

    [Fact]
    public void Validate_ListedSubjectWithoutEventsAndDuplicateEntry_Reported()
    {
        Valid((1, "train"), (2, "train"), (1, "held_out")).WithShard("data/train/0.parquet", Row(1, 1));

        var issues = Validate();

        Assert.Equal(IssueSeverity.Warning, Single(issues, MedsIssueCodes.ListedSubjectWithoutEvents).Severity);
        Assert.Equal($"{MedsSchema.SubjectSplitsFile}:row 2", Single(issues, MedsIssueCodes.DuplicateSplitEntry).Path);
    }

    [Fact]
    public void Validate_MissingMetadataFiles_MetadataFileMissingEach()
    {
        new RawDataset(_temp.Path).WithShard("data/train/0.parquet", Row(1, 1));

        var missing = Validate().Where(i => i.Code == MedsIssueCodes.MetadataFileMissing).Select(i => i.Path);

        Assert.Equal([MedsSchema.DatasetMetadataFile, MedsSchema.SubjectSplitsFile, MedsSchema.CodesFile], missing);
    }

    [Theory]
    [InlineData("{not json", "metadata/dataset.json")]
    [InlineData("[1, 2]", "metadata/dataset.json")]
    [InlineData("{\"meds_version\": 4}", "metadata/dataset.json:meds_version")]
    [InlineData("{\"created_at\": \"yesterday\"}", "metadata/dataset.json:created_at")]
    [InlineData("{\"site_id_columns\": \"site\"}", "metadata/dataset.json:site_id_columns")]
    public void Validate_BadDatasetJson_BadDatasetJson(string json, string path)
    {
        Valid().WithShard("data/train/0.parquet", Row(1, 1), Row(2, 1));
        File.WriteAllText(Path.Combine(_temp.Path, MedsSchema.DatasetMetadataFile), json);

        Assert.Equal(path, Validate().First(i => i.Code == MedsIssueCodes.BadDatasetJson).Path);
    }

    [Fact]
    public void Validate_OlderMedsVersion_WarningOnly()
    {
        new RawDataset(_temp.Path).WithMetadata(["A"], [(1, "train")], medsVersion: "0.3.3").WithShard("data/train/0.parquet", Row(1, 1));

        var issues = Validate();

        Assert.Equal(IssueSeverity.Warning, Single(issues, MedsIssueCodes.MedsVersionMismatch).Severity);
        Assert.True(MedsValidator.IsValid(issues));
    }

    [Fact]
    public void Validate_NoShardsOrNoFolder_NoDataShards()
    {
        Valid();

        Assert.Equal(MedsSchema.DataFolder, Single(Validate(), MedsIssueCodes.NoDataShards).Path);
        Assert.Equal(MedsIssueCodes.NoDataShards, Assert.Single(MedsValidator.Validate(Path.Combine(_temp.Path, "missing"))).Code);
    }

    [Fact]
    public void Validate_NotParquet_UnreadableParquet()
    {
        Valid().WithShard("data/train/0.parquet", Row(1, 1), Row(2, 1));
        File.WriteAllText(Path.Combine(_temp.Path, "data", "train", "1.parquet"), "this is not parquet");

        Assert.Equal("data/train/1.parquet", Single(Validate(), MedsIssueCodes.UnreadableParquet).Path);
    }

    [Fact]
    public void Validate_ManyUnsortedRows_CappedWithOmittedCount()
    {
        var rows = Enumerable.Range(0, 6).Select(i => Row(1, 20 - i)).Append(Row(2, 1)).ToArray();
        Valid().WithShard("data/train/0.parquet", rows);

        var report = MedsValidator.Check(_temp.Path, new MedsValidationOptions { MaxIssuesPerCode = 2 });
        var issues = report.Issues;

        Assert.Equal(2, issues.Count(i => i.Code == MedsIssueCodes.TimesUnsorted));
        Assert.Equal(new MedsIssueCount(MedsIssueCodes.TimesUnsorted, IssueSeverity.Error, 5), Assert.Single(report.Counts));
        Assert.Equal(5, report.ErrorCount);
        var omitted = Single(issues, MedsIssueCodes.IssuesOmitted);
        Assert.Equal(MedsIssueCodes.TimesUnsorted, omitted.Path);
        Assert.StartsWith("3 more", omitted.Message, StringComparison.Ordinal);
    }
}
