using System.Text.Json;
using FhirRisk.Core.Statistics;
using Xunit.Abstractions;

namespace FhirRisk.Core.Tests.Statistics;

/// <summary>
/// Every metric and curve against scikit-learn 1.2 on cases with ties and probabilities on bin edges
/// (tools/reference/metrics_reference.py writes the fixture; it is committed, so Python is not needed here).
/// </summary>
public sealed class SklearnFixtureTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-12;

    private static readonly Lazy<JsonElement> Fixture = new(() =>
        JsonDocument.Parse(File.ReadAllText(ReferenceFixtures.PathOf("metrics-sklearn.json"))).RootElement);

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Fixture.Value.GetProperty("cases").EnumerateArray())
            data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Fact]
    public void Fixture_IsTheVersionThisTestReads()
    {
        Assert.Equal("fhirrisk-metrics-reference", Fixture.Value.GetProperty("format").GetString());
        Assert.Equal(1, Fixture.Value.GetProperty("format_version").GetInt32());
        Assert.Equal(BinaryMetrics.DefaultCalibrationBins, Fixture.Value.GetProperty("calibration_bins").GetInt32());
        Assert.Equal(3, Cases().Count);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ScalarMetrics_MatchScikitLearn(string name)
    {
        var (scores, labels, expected) = Case(name);

        Near(expected.GetProperty("roc_auc").GetDouble(), BinaryMetrics.Auroc(scores, labels));
        Near(expected.GetProperty("average_precision").GetDouble(), BinaryMetrics.AveragePrecision(scores, labels));
        Near(expected.GetProperty("brier").GetDouble(), BinaryMetrics.BrierScore(scores, labels));
        Near(expected.GetProperty("ece").GetDouble(), BinaryMetrics.ExpectedCalibrationError(scores, labels));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CalibrationCurve_MatchesScikitLearn(string name)
    {
        var (scores, labels, expected) = Case(name);
        var calibration = expected.GetProperty("calibration");

        var curve = BinaryMetrics.CalibrationCurve(scores, labels);

        AllNear(Doubles(calibration.GetProperty("prob_true")), curve.Select(b => b.FractionPositive).ToArray());
        AllNear(Doubles(calibration.GetProperty("prob_pred")), curve.Select(b => b.MeanPredicted).ToArray());
        Assert.Equal(calibration.GetProperty("count").EnumerateArray().Select(c => c.GetInt32()), curve.Select(b => b.Count));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Curves_MatchScikitLearn(string name)
    {
        var (scores, labels, expected) = Case(name);

        var roc = BinaryMetrics.RocCurve(scores, labels);
        AllNear(Doubles(expected.GetProperty("roc_curve").GetProperty("fpr")), roc.Select(p => p.FalsePositiveRate).ToArray());
        AllNear(Doubles(expected.GetProperty("roc_curve").GetProperty("tpr")), roc.Select(p => p.TruePositiveRate).ToArray());

        // scikit-learn lists the precision–recall curve by descending recall; ours ascends.
        var pr = BinaryMetrics.PrecisionRecallCurve(scores, labels).Reverse().ToArray();
        AllNear(Doubles(expected.GetProperty("pr_curve").GetProperty("precision")), pr.Select(p => p.Precision).ToArray());
        AllNear(Doubles(expected.GetProperty("pr_curve").GetProperty("recall")), pr.Select(p => p.Recall).ToArray());
    }

    private static (double[] Scores, bool[] Labels, JsonElement Expected) Case(string name)
    {
        var c = Fixture.Value.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        return (Doubles(c.GetProperty("scores")), [.. c.GetProperty("labels").EnumerateArray().Select(l => l.GetBoolean())], c.GetProperty("expected"));
    }

    private static double[] Doubles(JsonElement array) => [.. array.EnumerateArray().Select(v => v.GetDouble())];

    private void Near(double expected, double actual)
    {
        output.WriteLine($"expected {expected:R}, got {actual:R}, |diff| {Math.Abs(expected - actual):E2}");
        Assert.True(Math.Abs(expected - actual) <= Tolerance, $"expected {expected:R}, got {actual:R}");
    }

    private void AllNear(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).DefaultIfEmpty().Max();
        output.WriteLine($"{expected.Length} points, max |diff| {worst:E2}");
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"point {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }
}
