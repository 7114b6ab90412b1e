using FhirRisk.Parquet;
using FhirRisk.Testing;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Training.Tests.Evaluation;

public sealed class PredictionsFileTests
{
    [Fact]
    public void WriteRead_RoundTripsEveryField()
    {
        using var temp = new TempDirectory();
        var rows = SyntheticPredictions.Predict(SyntheticPredictions.Points(30, 1), "hospital_mortality", "heads", 1, 2);
        var path = temp.File("p.parquet");

        PredictionsFile.Write(path, rows);

        Assert.Equal(rows, PredictionsFile.Read(path));
        using var reader = ParquetFileReader.Open(path);
        Assert.Equal("1", reader.KeyValueMetadata[PredictionsFile.VersionKey]);
        Assert.False(reader.Schema.Contains(PredictionsFile.KShotColumn));
        UnixFileModes.AssertOwnerOnlyFile(path); // one row per patient and time (CLI review s10 #13)
    }

    [Fact]
    public void WriteRead_FewShotRowsKeepKAndReplicate()
    {
        using var temp = new TempDirectory();
        var points = SyntheticPredictions.Points(10, 3);
        Prediction[] rows =
        [
            .. SyntheticPredictions.Predict(points, "icu_admission", "probe", 1, 4, k: 8, replicate: 2),
            .. SyntheticPredictions.Predict(points, "icu_admission", "probe", 1, 5),
        ];
        var path = temp.File("p.parquet");

        PredictionsFile.Write(path, rows);

        var read = PredictionsFile.Read(path);
        Assert.Equal(rows, read);
        Assert.Contains(read, r => r.KShot == 8 && r.Replicate == 2);
        Assert.Contains(read, r => r.KShot is null && r.Replicate is null);
    }

    [Fact]
    public void Read_MissingLabelColumn_IsASchemaIssueNamingTheFile()
    {
        using var temp = new TempDirectory();
        var path = temp.File("nolabel.parquet");
        WriteColumns(path,
            ParquetColumn.Create(new ParquetField("subject_id", ParquetType.Int64, false), new long[] { 1 }),
            ParquetColumn.Create(ParquetField.Timestamp("prediction_time", false), new long[] { 0 }),
            ParquetColumn.Create(new ParquetField("task", ParquetType.String, false), new string?[] { "t" }),
            ParquetColumn.Create(new ParquetField("method", ParquetType.String, false), new string?[] { "m" }),
            ParquetColumn.Create(new ParquetField("probability", ParquetType.Double, false), new[] { 0.5 }));

        var error = Assert.Throws<EvaluationInputException>(() => PredictionsFile.Read(path));

        Assert.Equal(EvaluationIssueCodes.Schema, error.Issue.Code);
        Assert.Equal("nolabel.parquet", error.Issue.Path);
        Assert.Contains("label", error.Issue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ProbabilityOutsideUnitInterval_IsAValueIssueWithTheRow()
    {
        using var temp = new TempDirectory();
        var path = temp.File("bad.parquet");
        WriteColumns(path,
            ParquetColumn.Create(new ParquetField("subject_id", ParquetType.Int64, false), new long[] { 1, 2 }),
            ParquetColumn.Create(ParquetField.Timestamp("prediction_time", false), new long[] { 0, 0 }),
            ParquetColumn.Create(new ParquetField("task", ParquetType.String, false), new string?[] { "t", "t" }),
            ParquetColumn.Create(new ParquetField("method", ParquetType.String, false), new string?[] { "m", "m" }),
            ParquetColumn.Create(new ParquetField("probability", ParquetType.Double, false), new[] { 0.5, double.NaN }),
            ParquetColumn.Create(new ParquetField("label", ParquetType.Boolean, false), new[] { true, false }));

        var error = Assert.Throws<EvaluationInputException>(() => PredictionsFile.Read(path));

        Assert.Equal(EvaluationIssueCodes.Value, error.Issue.Code);
        Assert.Equal("bad.parquet:row 1", error.Issue.Path);
    }

    [Fact]
    public void Read_KShotBeyond32Bits_IsAValueIssueWithTheRow()
    {
        using var temp = new TempDirectory();
        var path = temp.File("wide.parquet");
        WriteColumns(path,
            ParquetColumn.Create(new ParquetField("subject_id", ParquetType.Int64, false), new long[] { 1, 2 }),
            ParquetColumn.Create(ParquetField.Timestamp("prediction_time", false), new long[] { 0, 0 }),
            ParquetColumn.Create(new ParquetField("task", ParquetType.String, false), new string?[] { "t", "t" }),
            ParquetColumn.Create(new ParquetField("method", ParquetType.String, false), new string?[] { "m", "m" }),
            ParquetColumn.Create(new ParquetField("probability", ParquetType.Double, false), new[] { 0.5, 0.25 }),
            ParquetColumn.Create(new ParquetField("label", ParquetType.Boolean, false), new[] { true, false }),
            ParquetColumn.Create(new ParquetField("k_shot", ParquetType.Int64), new long[] { 4, 5_000_000_000 }),
            ParquetColumn.Create(new ParquetField("replicate", ParquetType.Int64), new long[] { 0, 0 }));

        var error = Assert.Throws<EvaluationInputException>(() => PredictionsFile.Read(path));

        Assert.Equal(EvaluationIssueCodes.Value, error.Issue.Code);
        Assert.Equal("wide.parquet:row 1", error.Issue.Path);
        Assert.Contains("k_shot", error.Issue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_FutureVersion_IsAVersionIssue()
    {
        using var temp = new TempDirectory();
        var path = temp.File("v2.parquet");
        using (var writer = ParquetFileWriter.Create(path, new ParquetSchema(new ParquetField("subject_id", ParquetType.Int64))))
            writer.SetMetadata(PredictionsFile.VersionKey, "2");

        Assert.Equal(EvaluationIssueCodes.Version, Assert.Throws<EvaluationInputException>(() => PredictionsFile.Read(path)).Issue.Code);
    }

    [Fact]
    public void Write_ReplicateWithoutK_IsRefused()
    {
        using var temp = new TempDirectory();
        var row = new Prediction(1, SyntheticPredictions.Start, "t", "m", 0.5, true, KShot: null, Replicate: 1);

        Assert.Equal(EvaluationIssueCodes.Value, Assert.Throws<EvaluationInputException>(() => PredictionsFile.Write(temp.File("x.parquet"), [row])).Issue.Code);
    }

    private static void WriteColumns(string path, params ParquetColumn[] columns)
    {
        using var writer = ParquetFileWriter.Create(path, new ParquetSchema(columns.Select(c => c.Field)));
        writer.WriteRowGroup(columns);
    }
}
