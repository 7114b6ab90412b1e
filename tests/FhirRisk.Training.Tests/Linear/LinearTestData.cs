using FhirRisk.Training.Linear;

namespace FhirRisk.Training.Tests.Linear;

/// <summary>Seeded synthetic problems for the linear-model tests.</summary>
internal static class LinearTestData
{
    /// <summary>(n, d) standard normal features; labels drawn from σ(x·w + b) with the given true weights.</summary>
    public static (double[] Values, bool[] Labels) Logistic(int n, double[] weights, double intercept, int seed)
    {
        var random = new Random(seed);
        var d = weights.Length;
        var values = new double[n * d];
        var labels = new bool[n];
        for (var i = 0; i < n; i++)
        {
            var z = intercept;
            for (var j = 0; j < d; j++)
            {
                values[(i * d) + j] = Normal(random);
                z += values[(i * d) + j] * weights[j];
            }
            labels[i] = random.NextDouble() < 1.0 / (1.0 + Math.Exp(-z));
        }
        return (values, labels);
    }

    /// <summary>The same matrix stored as CSR (zeros dropped).</summary>
    public static SparseFeatureMatrix ToSparse(double[] values, int rows, int columns)
    {
        var builder = new SparseFeatureMatrix.Builder(columns);
        var indices = Enumerable.Range(0, columns).ToArray();
        for (var i = 0; i < rows; i++)
            builder.AddRow(indices, values.AsSpan(i * columns, columns));
        return builder.Build();
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
