using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests;

public sealed class MedsDatasetReaderRealDataTests
{
    [ExternalDataFact]
    public void Open_MimicDemo_ShardRowAndSubjectCounts()
    {
        var reader = MedsDatasetReader.Open(RealDatasets.MimicDemo);

        Assert.Equal(["data/tuning/0.parquet", "data/held_out/0.parquet"], reader.Shards.Select(s => s.RelativePath));
        Assert.Equal(42_554, reader.ReadEvents(new MedsReadOptions { Splits = ["held_out"] }).Count());
        Assert.Equal(69_620, reader.ReadEvents(new MedsReadOptions { Splits = ["tuning"], Columns = MedsEventColumns.None }).Count());
        Assert.Equal(10, reader.ReadSubjects(new MedsReadOptions { Splits = ["held_out"] }).Count());
        Assert.Equal(10, reader.ReadSubjects(new MedsReadOptions { Splits = ["tuning"] }).Count());
    }

    [ExternalDataFact]
    public void Open_MimicDemo_TrainListedButWithoutShards()
    {
        var reader = MedsDatasetReader.Open(RealDatasets.MimicDemo);

        Assert.Equal(["train", "tuning", "held_out"], reader.SplitNames);
        Assert.Empty(reader.ShardsOf("train"));
        Assert.Empty(reader.ReadSubjects(new MedsReadOptions { Splits = ["train"] }));
        Assert.Equal(80, reader.SubjectSplits.Values.Count(s => s == "train"));
        Assert.Equal("0.3.3", reader.Metadata!.MedsVersion);
        Assert.Equal("MEDS_transforms", reader.Metadata.EtlName);
    }

    [ExternalDataFact]
    public void ReadSubjects_MimicDemo_StaticRowsFirstThenSortedTimes()
    {
        var reader = MedsDatasetReader.Open(RealDatasets.MimicDemo);

        foreach (var subject in reader.ReadSubjects())
        {
            var times = subject.Events.SkipWhile(e => e.IsStatic).ToList();
            Assert.All(times, e => Assert.NotNull(e.Time));
            Assert.True(times.Zip(times.Skip(1)).All(p => p.First.Time <= p.Second.Time), $"subject {subject.SubjectId} not sorted");
        }
        var texts = reader.ReadEvents().Count(e => e.TextValue is not null);
        Assert.True(texts > 0, "MIMIC's OMR rows carry text_value");
        Assert.Equal(2_661, reader.ReadCodes().Count);
    }

    [ExternalDataFact]
    public void ReadEvents_Projection_OnlyRequestedColumnsFilled()
    {
        var reader = MedsDatasetReader.Open(RealDatasets.MimicDemo);

        var events = reader.ReadEvents(new MedsReadOptions { Splits = ["held_out"], Columns = MedsEventColumns.Code }).ToList();

        Assert.Equal(42_554, events.Count);
        Assert.All(events, e => Assert.True(e.Time is null && e.NumericValue is null && e.TextValue is null && e.Code.Length > 0));
    }

    [ExternalDataFact]
    public void Open_TestingHelpers_ShardRowCountsAndValues()
    {
        var reader = MedsDatasetReader.Open(RealDatasets.TestingHelpers);

        var rows = reader.Shards.ToDictionary(s => s.RelativePath, s => reader.ReadShard(s).Count());
        Assert.Equal(new Dictionary<string, int>
        {
            ["data/train/0.parquet"] = 30,
            ["data/train/1.parquet"] = 14,
            ["data/tuning/0.parquet"] = 7,
            ["data/held_out/0.parquet"] = 11,
        }, rows);
        var first = reader.ReadSubjects().First();
        Assert.Equal(239684, first.SubjectId);
        Assert.Equal("train", first.Split);
        Assert.Equal(new MedsEvent(239684, null, "EYE_COLOR//BROWN"), first.Events[0]);
        Assert.Equal(175.271115221764f, first.Events[1].NumericValue);
        Assert.Equal(new MedsEvent(239684, new DateTime(1980, 12, 28), "MEDS_BIRTH"), first.Events[2]);
        Assert.Equal(new DateTime(2010, 5, 11, 17, 41, 51), first.Events[3].Time);
        Assert.Equal(["LOINC/8867-4"], reader.ReadCodes().Single(c => c.Code == "HR").ParentCodes!);
    }
}
