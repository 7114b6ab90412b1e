using FhirRisk.Core;
using FhirRisk.Meds.Internal;

namespace FhirRisk.Meds.Tests;

public sealed class MedsDatasetMetadataTests
{
    [Fact]
    public void ToJson_AllFields_ParsesBackEqual()
    {
        var metadata = new MedsDatasetMetadata
        {
            DatasetName = "x",
            DatasetVersion = "1",
            EtlName = "FhirRisk",
            EtlVersion = "0.1.0",
            MedsVersion = "0.4",
            CreatedAt = MedsDatasetMetadata.FormatCreatedAt(new DateTimeOffset(2025, 6, 7, 10, 11, 12, TimeSpan.FromHours(2))),
            License = "MIT",
        };
        var issues = new List<Issue>();

        var parsed = MedsDatasetMetadata.Parse(metadata.ToJson(), "dataset.json", issues);

        Assert.Empty(issues);
        Assert.Equal(metadata, parsed);
        Assert.Equal("2025-06-07T08:11:12.000000+00:00", parsed!.CreatedAt);
    }

    [Fact]
    public void Parse_ExtraFieldsAndNaiveCreatedAt_Accepted()
    {
        var issues = new List<Issue>();

        var parsed = MedsDatasetMetadata.Parse("""{"dataset_name":"MIMIC-IV","created_at":"2025-01-13T11:02:53.383398","extra":{"a":1}}""", "dataset.json", issues);

        Assert.Empty(issues);
        Assert.Equal("MIMIC-IV", parsed!.DatasetName);
    }
}

public sealed class MedsTimeTests
{
    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(1_700_000_000_123_456L)]
    [InlineData(-2_208_988_800_000_001L)]
    public void FromMicroseconds_ToMicroseconds_RoundTrips(long micros)
    {
        Assert.True(MedsTime.TryFromMicroseconds(micros, out var time));
        Assert.Equal(micros, MedsTime.ToMicroseconds(time));
    }

    [Fact]
    public void ToMicroseconds_SubMicrosecondTicks_Floors()
    {
        var beforeEpoch = DateTime.UnixEpoch.AddTicks(-1);

        Assert.Equal(-1, MedsTime.ToMicroseconds(beforeEpoch));
        Assert.Equal(-1, MedsTime.ToMicroseconds(-1, Parquet.TimestampUnit.Nanos));
        Assert.False(MedsTime.TryFromMicroseconds(long.MaxValue, out _));
    }
}

public sealed class NaturalStringComparerTests
{
    [Fact]
    public void Compare_NumberedShards_NumericOrder()
    {
        string[] paths = ["data/train/10.parquet", "data/train/2.parquet", "data/train/002b.parquet", "data/train/1.parquet", "data/a.parquet"];

        var sorted = paths.Order(NaturalStringComparer.Instance);

        Assert.Equal(["data/a.parquet", "data/train/1.parquet", "data/train/2.parquet", "data/train/002b.parquet", "data/train/10.parquet"], sorted);
    }
}
