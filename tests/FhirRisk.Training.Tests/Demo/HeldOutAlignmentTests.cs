using FhirRisk.Training.Demo;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Training.Tests.Demo;

public sealed class HeldOutAlignmentTests
{
    private static readonly DateTime T0 = new(2021, 3, 1, 8, 0, 0, DateTimeKind.Unspecified);

    [Fact]
    public void Align_MethodsCoverDifferentPoints_KeepsThePointsAllScoredAndCountsTheRest()
    {
        // The heads miss subject 3 (a point before its first token); the oracle misses subject 2 (no truth row).
        var heads = Rows("heads", "icu_admission", 1, 2);
        var probe = Rows("probe", "icu_admission", 1, 2, 3).Concat(Rows("probe", "icu_admission", 1, 2, 3).Select(r => r with { KShot = 4, Replicate = 0 })).ToArray();
        var counts = Rows("count_baseline", "icu_admission", 1, 2, 3);
        var oracle = new OracleMatch(Rows("oracle", "icu_admission", 1), Unmatched: 1, OutcomeMismatches: 0, Observable: []);

        var aligned = HeldOutAlignment.Align(oracle, heads, probe, counts);

        Assert.Equal(1, aligned.Points);
        Assert.Equal(2, aligned.Dropped);
        Assert.All(aligned.Methods.Values, rows => Assert.All(rows, r => Assert.Equal(1, r.SubjectId)));
        Assert.Equal(2, aligned.Methods["probe"].Count);
    }

    [Fact]
    public void Align_ATaskOnlySomeMethodsHave_IsKeptForThoseMethods()
    {
        var heads = Rows("heads", "hospital_mortality", 1, 2).Concat(Rows("heads", "icu_mortality", 5)).ToArray();
        var probe = Rows("probe", "hospital_mortality", 1, 2);
        var counts = Rows("count_baseline", "hospital_mortality", 1, 2);
        var oracle = new OracleMatch([.. heads.Select(r => r with { Method = "oracle" })], 0, 0, []);

        var aligned = HeldOutAlignment.Align(oracle, heads, probe, counts);

        Assert.Equal(3, aligned.Points);
        Assert.Equal(0, aligned.Dropped);
        Assert.Contains(aligned.Methods["heads"], r => r.Task == "icu_mortality");
        Assert.False(aligned.Methods.ContainsKey(OraclePredictions.ObservableMethodName));
    }

    [Fact]
    public void Align_TheObservableTruthAndTheRecordReference_FollowTheCommonPointsWithoutNarrowingThem()
    {
        // The observable truth has hospital_mortality only, and a point (subject 3) no other method scored.
        var heads = Rows("heads", "hospital_mortality", 1, 2).Concat(Rows("heads", "icu_mortality", 5)).ToArray();
        var probe = Rows("probe", "hospital_mortality", 1, 2);
        var counts = Rows("count_baseline", "hospital_mortality", 1, 2);
        var observable = Rows(OraclePredictions.ObservableMethodName, "hospital_mortality", 1, 2, 3);
        var record = Rows(OraclePredictions.RecordMethodName, "hospital_mortality", 2, 3);
        var oracle = new OracleMatch([.. heads.Select(r => r with { Method = "oracle" })], 0, 0, observable) { Record = record };

        var aligned = HeldOutAlignment.Align(oracle, heads, probe, counts);

        Assert.Equal(3, aligned.Points);
        Assert.Equal(0, aligned.Dropped);
        Assert.Equal([1L, 2L], aligned.Methods[OraclePredictions.ObservableMethodName].Select(r => r.SubjectId));
        Assert.Equal([2L], aligned.Methods[OraclePredictions.RecordMethodName].Select(r => r.SubjectId));
        Assert.Contains(aligned.Methods["heads"], r => r.Task == "icu_mortality");
    }

    private static Prediction[] Rows(string method, string task, params long[] subjects) =>
        [.. subjects.Select(s => new Prediction(s, T0.AddDays(s), task, method, 0.1 * s, s % 2 == 0))];
}
