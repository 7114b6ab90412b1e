using System.Globalization;
using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Meds.Internal;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests;

/// <summary>Our shards read by DuckDB, the Parquet peer (DESIGN §1): same MEDS types, same rows in the same order.</summary>
public sealed class MedsDuckDbInteropTests
{
    [Fact]
    public void Write_SyntheticDataset_DuckDbSeesMedsTypesAndSameRows()
    {
        using var temp = new TempDirectory();
        var settings = new MedsDatasetWriterSettings { Clock = new FixedClock(DateTimeOffset.UnixEpoch), MaxSubjectsPerShard = 10 };
        MedsDatasetWriterTests.Write(temp.Path, SyntheticSubjects.Generate(seed: 17, count: 30), settings);
        var reader = MedsDatasetReader.Open(temp.Path);

        var dumps = DuckDb.Batch(reader.Shards.Select(s => DuckDbRequest.Dump(s.FullPath)));

        foreach (var (shard, dump) in reader.Shards.Zip(dumps))
        {
            var types = dump.GetProperty("columns").EnumerateArray().Select(c => $"{c.GetProperty("name").GetString()} {c.GetProperty("type").GetString()}");
            Assert.Equal(["subject_id BIGINT", "time TIMESTAMP", "code VARCHAR", "numeric_value FLOAT", "text_value VARCHAR", "encounter_id BIGINT"], types);
            var theirs = dump.GetProperty("rows").EnumerateArray().Select(ToEvent).ToList();
            Assert.Equal(reader.ReadShard(shard).ToList(), theirs);
        }
    }

    private static MedsEvent ToEvent(JsonElement row)
    {
        var cells = row.EnumerateArray().ToArray();
        DateTime? time = null;
        if (cells[1].ValueKind != JsonValueKind.Null)
        {
            Assert.True(MedsTime.TryFromMicroseconds(DuckDbValue.ToInt64(cells[1]), out var value));
            time = value;
        }
        return new MedsEvent(
            DuckDbValue.ToInt64(cells[0]),
            time,
            cells[2].GetString()!,
            cells[3].ValueKind == JsonValueKind.Null ? null : DuckDbValue.ToSingle(cells[3]),
            cells[4].ValueKind == JsonValueKind.Null ? null : cells[4].GetString(),
            cells[5].ValueKind == JsonValueKind.Null ? null : long.Parse(cells[5].GetString()!, CultureInfo.InvariantCulture));
    }
}
