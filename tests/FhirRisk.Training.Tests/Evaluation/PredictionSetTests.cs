using FhirRisk.Training.Evaluation;

namespace FhirRisk.Training.Tests.Evaluation;

public sealed class PredictionSetTests
{
    private static readonly LabeledPoint[] Points = SyntheticPredictions.Points(40, 7);

    [Fact]
    public void Create_GroupsRowsIntoRunsAcrossFiles()
    {
        var set = PredictionSet.Create(
        [
            ("heads.parquet", SyntheticPredictions.Predict(Points, "hospital_mortality", "heads", 1, 1)),
            ("probe.parquet", [.. SyntheticPredictions.Predict(Points, "hospital_mortality", "probe", 1, 2), .. SyntheticPredictions.Predict(Points, "hospital_mortality", "probe", 1, 3, k: 4, replicate: 0)]),
        ]);

        Assert.Equal(3, set.Runs.Count);
        Assert.All(set.Runs.Values, rows => Assert.Equal(Points.Length, rows.Length));
        Assert.Equal(["hospital_mortality"], set.Tasks);
        Assert.Equal(["heads.parquet", "probe.parquet"], set.Sources);
    }

    [Fact]
    public void Create_SameFileTwice_IsADuplicateRow()
    {
        var rows = SyntheticPredictions.Predict(Points, "hospital_mortality", "heads", 1, 1);

        var error = Assert.Throws<EvaluationInputException>(() => PredictionSet.Create([("a.parquet", rows), ("b.parquet", rows)]));

        Assert.Equal(EvaluationIssueCodes.DuplicateRow, error.Issue.Code);
        Assert.NotNull(error.Hint);
    }

    [Fact]
    public void Create_ConflictingLabels_NameBothPlaces()
    {
        var heads = SyntheticPredictions.Predict(Points, "icu_admission", "heads", 1, 1);
        var probe = SyntheticPredictions.Predict(Points, "icu_admission", "probe", 1, 2);
        probe[5] = probe[5] with { Label = !probe[5].Label };

        var error = Assert.Throws<EvaluationInputException>(() => PredictionSet.Create([("heads.parquet", heads), ("probe.parquet", probe)]));

        Assert.Equal(EvaluationIssueCodes.LabelConflict, error.Issue.Code);
        Assert.Equal("probe.parquet:row 5", error.Issue.Path);
        Assert.Contains("heads.parquet:row 5", error.Issue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_MethodsOnDifferentPoints_IsAPointMismatch()
    {
        var heads = SyntheticPredictions.Predict(Points, "icu_admission", "heads", 1, 1);
        var probe = SyntheticPredictions.Predict(Points.Skip(3), "icu_admission", "probe", 1, 2);

        var error = Assert.Throws<EvaluationInputException>(() => PredictionSet.Create([("heads.parquet", heads), ("probe.parquet", probe)]));

        Assert.Equal(EvaluationIssueCodes.PointMismatch, error.Issue.Code);
        Assert.Equal("probe.parquet", error.Issue.Path);
        Assert.Contains("--common-points", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_CommonPoints_KeepsThePointsEveryRunPredictedAndCountsTheRest()
    {
        // CLI review s10: rollouts scored with 'predict --limit' could not be evaluated beside the heads' every point.
        var heads = SyntheticPredictions.Predict(Points, "icu_admission", "heads", 1, 1);
        var oracle = SyntheticPredictions.Predict(Points.Skip(1), "icu_admission", "oracle", 1, 3);
        var sample = Points.Where((_, i) => i % 3 == 0).ToArray();
        var rollouts = SyntheticPredictions.Predict(sample, "icu_admission", "rollouts", 1, 2);

        var set = PredictionSet.Create([("heads.parquet", heads), ("rollouts.parquet", rollouts), ("oracle.parquet", oracle)], commonPoints: true);

        var shared = sample.Skip(1).Select(p => (p.SubjectId, p.PredictionTime)).ToHashSet();
        Assert.All(set.Runs.Values, rows => Assert.Equal(shared, rows.Select(r => (r.SubjectId, r.PredictionTime)).ToHashSet()));
        Assert.Equal(rollouts.Skip(1).Select(r => r.Probability), set.Runs.Single(r => r.Key.Method == "rollouts").Value.Select(r => r.Probability));
        Assert.Equal(Points.Length - shared.Count, set.LeftOutPoints["icu_admission"]);
    }

    [Fact]
    public void Create_CommonPointsWithNoneShared_IsAPointMismatch()
    {
        var heads = SyntheticPredictions.Predict(Points.Take(10), "icu_admission", "heads", 1, 1);
        var probe = SyntheticPredictions.Predict(Points.Skip(10), "icu_admission", "probe", 1, 2);

        var error = Assert.Throws<EvaluationInputException>(() => PredictionSet.Create([("heads.parquet", heads), ("probe.parquet", probe)], commonPoints: true));

        Assert.Equal(EvaluationIssueCodes.PointMismatch, error.Issue.Code);
    }

    [Fact]
    public void Create_ARepeatWithinOneFile_NamesBothRows()
    {
        // Review s22 evaluate L8: the error named the run's first file but no row.
        var heads = SyntheticPredictions.Predict(Points, "icu_admission", "heads", 1, 1);
        Prediction[] probe = [.. SyntheticPredictions.Predict(Points, "icu_admission", "probe", 1, 2)];
        probe[7] = probe[3] with { Probability = 0.5 };

        var error = Assert.Throws<EvaluationInputException>(() => PredictionSet.Create([("heads.parquet", heads), ("probe.parquet", probe)]));

        Assert.Equal(EvaluationIssueCodes.DuplicateRow, error.Issue.Code);
        Assert.Equal("probe.parquet:row 7", error.Issue.Path);
        Assert.Contains("probe.parquet:row 3", error.Issue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_AnEmptyFileBesideOthers_IsEmpty_NamingIt()
    {
        // Review s22 evaluate L2: the file's runs were missing from the report without a word.
        var heads = SyntheticPredictions.Predict(Points, "icu_admission", "heads", 1, 1);

        var error = Assert.Throws<EvaluationInputException>(() => PredictionSet.Create([("heads.parquet", heads), ("probe.parquet", [])]));

        Assert.Equal((EvaluationIssueCodes.Empty, "probe.parquet"), (error.Issue.Code, error.Issue.Path));
    }

    [Fact]
    public void Create_NoRows_IsEmpty() =>
        Assert.Equal(EvaluationIssueCodes.Empty, Assert.Throws<EvaluationInputException>(() => PredictionSet.Create([("a.parquet", [])])).Issue.Code);
}
