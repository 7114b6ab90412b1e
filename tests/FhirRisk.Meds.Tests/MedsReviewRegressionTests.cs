using FhirRisk.Core;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests;

/// <summary>Regression tests for defects found in review: unreadable column types, label values, rejected subjects, interleaved subjects.</summary>
public sealed class MedsReviewRegressionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Validate_TimeAsStructWrittenByDuckDb_SaysItCannotBeReadRatherThanMissing()
    {
        new RawDataset(_temp.Path).WithMetadata(["A"], [(1, "train")]);
        var shard = Path.Combine(_temp.Path, "data", "train", "0.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(shard)!);
        DuckDb.Write(shard, "SELECT 1::BIGINT AS subject_id, {'t': TIMESTAMP '2020-01-01'} AS time, 'A' AS code", "zstd");

        var issues = MedsValidator.Validate(_temp.Path);

        var issue = Assert.Single(issues, i => i.Code == MedsIssueCodes.ColumnWrongType);
        Assert.Contains("'time' cannot be read", issue.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(issues, i => i.Code == MedsIssueCodes.RequiredColumnMissing);
    }

    [Fact]
    public void WriteLabels_IntegerOnly_HasNoBooleanColumn()
    {
        var path = Path.Combine(_temp.Path, "labels.parquet");
        MedsLabels.Write(path, [new MedsLabel(1, new DateTime(2020, 1, 1), IntegerValue: 3)]);

        using var reader = Parquet.ParquetFileReader.Open(path);

        Assert.False(reader.Schema.Contains(MedsLabels.BooleanValueColumn));
        Assert.True(reader.Schema.Contains(MedsLabels.IntegerValueColumn));
        Assert.Equal(3, Assert.Single(MedsLabels.Read(path)).IntegerValue);
    }

    [Fact]
    public void WriteLabels_LabelWithoutValue_Throws() =>
        Assert.Throws<ArgumentException>(() => MedsLabels.Write(Path.Combine(_temp.Path, "x.parquet"), [new MedsLabel(1, new DateTime(2020, 1, 1))]));

    [Fact]
    public void WriteSubject_Rejected_LeavesNoCodesBehind()
    {
        var root = Path.Combine(_temp.Path, "ds");
        var writer = new MedsDatasetWriter(root);
        var time = new DateTime(2020, 1, 1);
        Assert.Throws<ArgumentException>(() => writer.WriteSubject(1, [new MedsEvent(1, time, "LEAKED", null, null, null), new MedsEvent(1, time, "", null, null, null)]));
        writer.WriteSubject(2, [new MedsEvent(2, time, "KEPT", null, null, null)]);
        writer.Complete();

        var codes = MedsDatasetReader.Open(root).ReadCodes().Select(c => c.Code).ToArray();

        Assert.Equal(["KEPT"], codes);
    }

    [Fact]
    public void ReadSubjects_SubjectResumesAfterAnother_ThrowsNotContiguous()
    {
        new RawDataset(_temp.Path).WithMetadata(["A"], [(1, "train"), (2, "train")])
            .WithShard("data/train/0.parquet", new RawRow(1, RawDataset.Micros(1), "A"), new RawRow(2, RawDataset.Micros(1), "A"), new RawRow(1, RawDataset.Micros(2), "A"));

        var error = Assert.Throws<MedsFormatException>(() => MedsDatasetReader.Open(_temp.Path).ReadSubjects().ToList());

        Assert.Equal(MedsIssueCodes.SubjectNotContiguous, error.Issue.Code);
        Assert.Equal(IssueSeverity.Error, error.Issue.Severity);
    }
}
