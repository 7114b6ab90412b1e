using FhirRisk.Training.Linear;

namespace FhirRisk.Training.Tests.Linear;

public sealed class RegularizationSearchTests
{
    private static readonly RegularizationSearchSettings Settings = new() { Parallelism = 1 };

    [Fact]
    public void Fit_ChoosesTheCWithTheBestCrossValidatedAuroc_AndRefitsOnEveryRow()
    {
        var (values, labels) = LinearTestData.Logistic(240, [1.2, -0.8, 0.0, 0.0, 0.4], intercept: -0.5, seed: 11);
        var features = new DenseFeatureMatrix(values, 240, 5);

        var result = RegularizationSearch.Fit(features, labels, settings: Settings);

        Assert.Equal(5, result.Folds);
        Assert.Equal(RegularizationSearchSettings.EhrshotGrid, result.Scores.Select(s => s.C));
        var best = result.Scores.Max(s => s.Auroc);
        Assert.Equal(result.Scores.First(s => s.Auroc == best).C, result.Model.C);
        Assert.True(best > 0.7, $"best CV AUROC {best}");
        var refit = LogisticRegression.Fit(features, labels, result.Model.C).Model;
        Assert.Equal(refit.Coefficients, result.Model.Coefficients);
    }

    [Fact]
    public void Default_SearchesEhrshotsGrid()
    {
        Assert.Equal([1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1e3, 1e4], RegularizationSearchSettings.Default.Grid);
        Assert.Same(RegularizationSearchSettings.Default, RegularizationSearchSettings.Default.Validate());
    }

    [Fact]
    public void Fit_IsDeterministic_WhateverTheParallelism()
    {
        var (values, labels) = LinearTestData.Logistic(150, [1.0, -1.0, 0.5], intercept: 0, seed: 12);
        var features = new DenseFeatureMatrix(values, 150, 3);
        var groups = Enumerable.Range(0, 150).Select(i => (long)(i / 3)).ToArray();

        var serial = RegularizationSearch.Fit(features, labels, groups, Settings);
        var parallel = RegularizationSearch.Fit(features, labels, groups, Settings with { Parallelism = 4 });

        Assert.Equal(serial.Scores, parallel.Scores);
        Assert.Equal(serial.Model.Coefficients, parallel.Model.Coefficients);
    }

    [Fact]
    public void Fit_TooFewExamplesOfAClassToCrossValidate_UsesTheFallbackC()
    {
        // One positive (a k = 1 sample): no fold split can hold a positive on both sides.
        var features = DenseFeatureMatrix.FromRows([[0.0], [1.0], [2.0], [3.0]]);

        var result = RegularizationSearch.Fit(features, [false, false, false, true], settings: Settings with { FallbackC = 0.25 });

        Assert.Equal(0, result.Folds);
        Assert.Empty(result.Scores);
        Assert.Equal(0.25, result.Model.C);
    }

    [Fact]
    public void Fit_SparseFeatures_Work()
    {
        var (values, labels) = LinearTestData.Logistic(200, [1.0, 0.0, -1.0, 0.5], intercept: 0, seed: 13);
        for (var i = 0; i < values.Length; i++)
            values[i] = Math.Max(0, Math.Round(values[i]));

        var result = RegularizationSearch.Fit(LinearTestData.ToSparse(values, 200, 4), labels,
            settings: Settings with { Solver = new LogisticRegressionSettings { Scaling = FeatureScaling.MaxAbs } });

        Assert.Equal(5, result.Folds);
        Assert.True(result.Fit.Converged);
    }
}
