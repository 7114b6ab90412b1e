using System.Globalization;

namespace FhirRisk.Bench.Parquet;

/// <summary>One line describing a generated shard, so a reader of the results can judge how realistic it is.</summary>
internal static class MedsShardProfile
{
    public static string Describe(MedsShard shard)
    {
        var subjects = 0;
        for (var i = 0; i < shard.RowCount; i++)
        {
            if (i == 0 || shard.SubjectId[i] != shard.SubjectId[i - 1])
                subjects++;
        }

        var distinctCodes = new HashSet<string>(shard.Code, StringComparer.Ordinal).Count;
        var numeric = shard.NumericValid.AsSpan().Count(true);
        var staticRows = shard.RowCount - shard.TimeValid.AsSpan().Count(true);
        var text = shard.TextValue.Count(t => t is not null);
        var encounters = shard.EncounterValid.AsSpan().Count(true);
        return string.Create(CultureInfo.InvariantCulture,
            $"{shard.RowCount:N0} rows, {subjects:N0} subjects, {distinctCodes:N0} distinct codes, numeric {Share(numeric)}, " +
            $"text {Share(text)}, null time {Share(staticRows)}, encounter_id {Share(encounters)}");

        string Share(int count) => string.Create(CultureInfo.InvariantCulture, $"{100.0 * count / shard.RowCount:0.0}%");
    }
}
