using FhirRisk.Parquet;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests;

public sealed class MedsLabelsTests
{
    [Fact]
    public void Write_AllValueKinds_RoundTrips()
    {
        using var temp = new TempDirectory();
        var path = temp.File("labels.parquet");
        MedsLabel[] labels =
        [
            new(1, new DateTime(2020, 1, 1, 12, 0, 0), true, 3, 0.25f, "low"),
            new(1, new DateTime(2020, 1, 2).AddTicks(70), false, null, 1.5f, "härt"),
            new(2, new DateTime(2020, 1, 3), null, 7, null, null),
        ];

        MedsLabels.Write(path, labels);
        var read = MedsLabels.Read(path);

        // Sub-microsecond ticks are dropped: MEDS stores microseconds.
        Assert.Equal(labels.Select(l => l with { PredictionTime = l.PredictionTime.AddTicks(-(l.PredictionTime.Ticks % 10)) }), read);
    }

    [Fact]
    public void Write_BooleanOnly_WritesOnlyMedsRequiredAndBooleanColumnsAsRequired()
    {
        using var temp = new TempDirectory();
        var path = temp.File("labels.parquet");

        MedsLabels.Write(path, [new MedsLabel(9, new DateTime(2020, 5, 5), true)]);

        using var reader = ParquetFileReader.Open(path);
        Assert.Equal(["subject_id", "prediction_time", "boolean_value"], reader.Schema.Fields.Select(f => f.Name));
        Assert.All(reader.Schema.Fields, f => Assert.False(f.Nullable));
        Assert.Equal(TimestampUnit.Micros, reader.Schema["prediction_time"].TimestampUnit);
    }

    [Fact]
    public void Read_MissingPredictionTime_ThrowsRequiredColumnMissing()
    {
        using var temp = new TempDirectory();
        var path = temp.File("labels.parquet");
        var field = new ParquetField("subject_id", ParquetType.Int64);
        using (var writer = ParquetFileWriter.Create(path, new ParquetSchema(field)))
            writer.WriteRowGroup([ParquetColumn.Create(field, new long[] { 1 })]);

        var error = Assert.Throws<MedsFormatException>(() => MedsLabels.Read(path));

        Assert.Equal(MedsIssueCodes.RequiredColumnMissing, error.Issue.Code);
    }

    [ExternalDataFact]
    public void Read_TestingHelpersLabelsA_TenRowsWithValues()
    {
        var labels = MedsLabels.Read(RealDatasets.TestingHelpersLabels("labels_A.parquet"));

        Assert.Equal(10, labels.Count);
        Assert.Equal(new MedsLabel(239684, new DateTime(2010, 5, 11, 18, 0, 0), false), labels[0]);
        Assert.Equal(new MedsLabel(68729, new DateTime(2010, 5, 26, 4, 30, 0), true), labels[^1]);
        Assert.Equal(6, labels.Count(l => l.BooleanValue == true));
    }

    [ExternalDataFact]
    public void ReadTask_TestingHelpersTask_BothFilesInOrder()
    {
        var labelsB = MedsLabels.Read(RealDatasets.TestingHelpersLabels("labels_B.parquet"));
        var task = MedsLabels.ReadTask(Path.GetDirectoryName(RealDatasets.TestingHelpersLabels("labels_A.parquet"))!);

        Assert.Equal(11, labelsB.Count);
        Assert.Equal(new MedsLabel(1500733, new DateTime(2010, 6, 3, 16, 30, 0), true), labelsB[^1]);
        Assert.Equal(21, task.Count);
        Assert.Equal(labelsB, task.Skip(10));
    }
}
