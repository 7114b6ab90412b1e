using FhirRisk.Parquet;
using FhirRisk.Testing;
using FhirRisk.Training.Demo;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Training.Tests.Demo;

/// <summary>The truth file joined to labelled points: the oracle, and the observable truth where the file has it.</summary>
public sealed class OracleMatchTests
{
    private static readonly DateTime T0 = new(2021, 3, 1, 8, 0, 0);

    [Fact]
    public void A_version_2_file_gives_the_observable_truth_for_the_points_that_have_one()
    {
        using var temp = new TempDirectory();
        var path = temp.File("truth.parquet");
        WriteTruth(path, "2", withObservable: true);
        Prediction[] points = [Point("hospital_mortality", 1, true), Point("readmission_30d", 1, false), Point("hospital_mortality", 9, false)];

        var match = OraclePredictions.Match(path, points);

        Assert.Equal([0.30, 0.20], match.Predictions.Select(p => p.Probability));
        Assert.Equal(1, match.Unmatched);
        var observable = Assert.Single(match.Observable);
        Assert.Equal((OraclePredictions.ObservableMethodName, "hospital_mortality", 1L, 0.12, true),
            (observable.Method, observable.Task, observable.SubjectId, observable.Probability, observable.Label));
        Assert.Empty(match.Record);
    }

    [Fact]
    public void A_version_3_file_gives_the_record_reference_beside_the_observable_truth()
    {
        using var temp = new TempDirectory();
        var path = temp.File("truth.parquet");
        WriteTruth(path, "3", withObservable: true, withRecord: true);
        Prediction[] points = [Point("hospital_mortality", 1, true), Point("readmission_30d", 1, false)];

        var match = OraclePredictions.Match(path, points);

        Assert.Equal(2, match.Predictions.Count);
        Assert.Single(match.Observable);
        var record = Assert.Single(match.Record);
        Assert.Equal((OraclePredictions.RecordMethodName, "hospital_mortality", 1L, 0.09, true),
            (record.Method, record.Task, record.SubjectId, record.Probability, record.Label));
    }

    [Fact]
    public void A_version_1_file_has_no_observable_truth_and_another_version_is_refused()
    {
        using var temp = new TempDirectory();
        WriteTruth(temp.File("v1.parquet"), "1", withObservable: false);
        WriteTruth(temp.File("v4.parquet"), "4", withObservable: true);
        Prediction[] points = [Point("hospital_mortality", 1, true)];

        var match = OraclePredictions.Match(temp.File("v1.parquet"), points);

        Assert.Single(match.Predictions);
        Assert.Empty(match.Observable);
        var refused = Assert.Throws<InvalidDataException>(() => { _ = OraclePredictions.Match(temp.File("v4.parquet"), points); });
        Assert.Contains("version 4", refused.Message, StringComparison.Ordinal);
    }

    private static Prediction Point(string task, long subject, bool label) => new(subject, T0.AddDays(subject), task, "heads", 0.5, label);

    private static void WriteTruth(string path, string version, bool withObservable, bool withRecord = false)
    {
        var fields = new List<ParquetField>
        {
            new("task", ParquetType.String, Nullable: false),
            new("subject_id", ParquetType.Int64, Nullable: false),
            ParquetField.Timestamp("prediction_time", nullable: false),
            new("probability", ParquetType.Double, Nullable: false),
            new("outcome", ParquetType.Boolean, Nullable: false),
        };
        var micros = (T0.AddDays(1) - DateTime.UnixEpoch).Ticks / 10;
        var columns = new List<ParquetColumn>
        {
            ParquetColumn.Create(fields[0], new string?[] { "hospital_mortality", "readmission_30d" }),
            ParquetColumn.Create(fields[1], new long[] { 1, 1 }),
            ParquetColumn.Create(fields[2], new long[] { micros, micros }),
            ParquetColumn.Create(fields[3], new double[] { 0.30, 0.20 }),
            ParquetColumn.Create(fields[4], new bool[] { true, false }),
        };
        if (withObservable)
        {
            fields.Add(new ParquetField("observable_probability", ParquetType.Double, Nullable: true));
            columns.Add(ParquetColumn.Create(fields[^1], new double[] { 0.12, 0 }, validity: [true, false]));
        }
        if (withRecord)
        {
            fields.Add(new ParquetField("record_probability", ParquetType.Double, Nullable: true));
            columns.Add(ParquetColumn.Create(fields[^1], new double[] { 0.09, 0 }, validity: [true, false]));
        }
        using var writer = ParquetFileWriter.Create(path, new ParquetSchema(fields),
            ParquetWriterOptions.Default with { KeyValueMetadata = new Dictionary<string, string> { ["fhirrisk.format_version"] = version } });
        writer.WriteRowGroup([.. columns]);
    }
}
