using FhirRisk.Training.Linear;

namespace FhirRisk.Training.Tests.Linear;

public sealed class LogisticRegressionTests
{
    private static readonly LogisticRegressionSettings Tight = new() { Scaling = FeatureScaling.None, GradientTolerance = 1e-12 };

    [Fact]
    public void Fit_AtTheSolution_TheGradientOfTheObjectiveVanishes()
    {
        // Independent of the solver: the optimality condition of (1/n)Σ log-loss + ‖w‖²/(2Cn), by finite sums here.
        var (values, labels) = LinearTestData.Logistic(200, [1.5, -0.5, 0.0, 2.0], intercept: 0.3, seed: 1);
        var features = new DenseFeatureMatrix(values, 200, 4);
        const double c = 0.7;

        var model = LogisticRegression.Fit(features, labels, c, Tight).Model;

        var p = model.PredictProbabilities(features);
        for (var j = 0; j < 4; j++)
        {
            var gradient = Enumerable.Range(0, 200).Sum(i => (p[i] - (labels[i] ? 1 : 0)) * values[(i * 4) + j]) / 200 + (model.Coefficients[j] / (c * 200));
            Assert.True(Math.Abs(gradient) < 1e-10, $"∂f/∂w{j} = {gradient:E3}");
        }
        var interceptGradient = Enumerable.Range(0, 200).Sum(i => p[i] - (labels[i] ? 1 : 0)) / 200;
        Assert.True(Math.Abs(interceptGradient) < 1e-10, $"∂f/∂b = {interceptGradient:E3}");
    }

    [Fact]
    public void Fit_SparseAndDenseStorageOfTheSameMatrix_GiveTheSameModel()
    {
        var (values, labels) = LinearTestData.Logistic(150, [1.0, -2.0, 0.5], intercept: -0.2, seed: 2);
        for (var i = 0; i < values.Length; i += 4)
            values[i] = 0;

        foreach (var scaling in Enum.GetValues<FeatureScaling>())
        {
            var settings = Tight with { Scaling = scaling };
            var dense = LogisticRegression.Fit(new DenseFeatureMatrix(values, 150, 3), labels, 1.0, settings).Model;
            var sparse = LogisticRegression.Fit(LinearTestData.ToSparse(values, 150, 3), labels, 1.0, settings).Model;

            Assert.Equal(dense.Intercept, sparse.Intercept, 1e-9);
            for (var j = 0; j < 3; j++)
                Assert.Equal(dense.Coefficients[j], sparse.Coefficients[j], 1e-9);
        }
    }

    [Fact]
    public void Fit_TheInterceptIsNotPenalised()
    {
        // With a vanishing C every coefficient goes to 0 but the intercept still fits the prevalence: 30 of 100 positive.
        var (values, _) = LinearTestData.Logistic(100, [1.0, 1.0], intercept: 0, seed: 3);
        var labels = Enumerable.Range(0, 100).Select(i => i % 10 < 3).ToArray();

        var model = LogisticRegression.Fit(new DenseFeatureMatrix(values, 100, 2), labels, 1e-9, Tight).Model;

        Assert.All(model.Coefficients, w => Assert.True(Math.Abs(w) < 1e-7));
        Assert.Equal(Math.Log(0.3 / 0.7), model.Intercept, 1e-6);
    }

    [Fact]
    public void Fit_SmallerC_ShrinksTheCoefficients()
    {
        var (values, labels) = LinearTestData.Logistic(300, [2.0, -1.0, 0.5], intercept: 0, seed: 4);
        var features = new DenseFeatureMatrix(values, 300, 3);

        var norms = new[] { 100.0, 1.0, 0.01 }
            .Select(c => LogisticRegression.Fit(features, labels, c, Tight).Model.Coefficients.Sum(w => w * w))
            .ToArray();

        Assert.True(norms[0] > norms[1] && norms[1] > norms[2], string.Join(", ", norms));
    }

    [Fact]
    public void Fit_Standardized_IsInvariantToRescalingAndShiftingAFeature()
    {
        var (values, labels) = LinearTestData.Logistic(200, [1.0, -1.0], intercept: 0.5, seed: 5);
        var moved = (double[])values.Clone();
        for (var i = 0; i < 200; i++)
            moved[i * 2] = (moved[i * 2] * 1000) + 42;
        var settings = Tight with { Scaling = FeatureScaling.Standardize };

        var original = LogisticRegression.Fit(new DenseFeatureMatrix(values, 200, 2), labels, 0.1, settings).Model;
        var rescaled = LogisticRegression.Fit(new DenseFeatureMatrix(moved, 200, 2), labels, 0.1, settings).Model;

        var p = original.PredictProbabilities(new DenseFeatureMatrix(values, 200, 2));
        var q = rescaled.PredictProbabilities(new DenseFeatureMatrix(moved, 200, 2));
        Assert.All(Enumerable.Range(0, 200), i => Assert.Equal(p[i], q[i], 1e-9));
        Assert.Equal(original.Coefficients[0] / 1000, rescaled.Coefficients[0], 1e-9);
    }

    [Fact]
    public void Fit_Standardized_AConstantColumnWhoseMeanRoundsOffKeepsScaleOne()
    {
        // Three 0.1s average to 0.10000000000000002: a variance of rounding error, which as a scale made the column's
        // coefficient −1e16 and the probabilities of rows a hair off the constant 0 or 1.
        var features = DenseFeatureMatrix.FromRows([[-1.0, 0.1], [0.5, 0.1], [1.2, 0.1]]);
        var settings = new LogisticRegressionSettings { Scaling = FeatureScaling.Standardize };

        var model = LogisticRegression.Fit(features, [true, false, true], 1.0, settings).Model;

        Assert.Equal(0.0, model.Coefficients[1], 1e-9);
        var nearby = model.PredictProbabilities(DenseFeatureMatrix.FromRows([[0.0, 0.11], [0.0, 0.0]]));
        Assert.Equal(nearby[0], nearby[1], 1e-9);
        Assert.InRange(nearby[0], 0.05, 0.95);
    }

    [Fact]
    public void Fit_IsDeterministic()
    {
        var (values, labels) = LinearTestData.Logistic(120, [1.0, 0.3, -0.7], intercept: 0, seed: 6);
        var features = new DenseFeatureMatrix(values, 120, 3);

        var first = LogisticRegression.Fit(features, labels, 0.5).Model;
        var second = LogisticRegression.Fit(features, labels, 0.5).Model;

        Assert.Equal(first.Coefficients, second.Coefficients);
        Assert.Equal(first.Intercept, second.Intercept);
    }

    [Fact]
    public void Fit_SelectedRows_EqualsAFitOnACopyOfThoseRows()
    {
        var (values, labels) = LinearTestData.Logistic(100, [1.0, -1.0], intercept: 0, seed: 7);
        var rows = Enumerable.Range(0, 100).Where(i => i % 3 != 0).ToArray();
        var copy = rows.SelectMany(i => values.AsSpan(i * 2, 2).ToArray()).ToArray();

        var viaView = LogisticRegression.Fit(new DenseFeatureMatrix(values, 100, 2).SelectRows(rows), rows.Select(i => labels[i]).ToArray(), 1.0, Tight).Model;
        var viaCopy = LogisticRegression.Fit(new DenseFeatureMatrix(copy, rows.Length, 2), rows.Select(i => labels[i]).ToArray(), 1.0, Tight).Model;

        Assert.Equal(viaCopy.Coefficients, viaView.Coefficients);
        Assert.Equal(viaCopy.Intercept, viaView.Intercept);
    }

    [Fact]
    public void Fit_OneClassOnly_Throws()
    {
        var features = DenseFeatureMatrix.FromRows([[1.0], [2.0], [3.0]]);

        var error = Assert.Throws<ArgumentException>(() => LogisticRegression.Fit(features, [false, false, false], 1.0));

        Assert.Contains("positive and one negative", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_SeparableData_StaysFiniteAndSeparates()
    {
        // Without the penalty the optimum would be at infinity; with C = 1e4 it is finite, and large.
        var features = DenseFeatureMatrix.FromRows([[-2.0], [-1.0], [1.0], [2.0]]);

        var fit = LogisticRegression.Fit(features, [false, false, true, true], 1e4);

        var p = fit.Model.PredictProbabilities(features);
        Assert.True(double.IsFinite(fit.Model.Coefficients[0]) && fit.Model.Coefficients[0] > 1);
        Assert.True(p[0] < 0.01 && p[3] > 0.99);
    }
}
