using FhirRisk.Training.Evaluation;
using FhirRisk.Training.Linear;

namespace FhirRisk.Training.Probes;

/// <summary>The feature row of every prediction point of a run, found by (subject, prediction time).</summary>
public sealed class PointFeatures
{
    private readonly Dictionary<(long Subject, DateTime Time), int> _rows;

    public PointFeatures(FeatureMatrix matrix, IReadOnlyList<(long Subject, DateTime Time)> points)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(points);
        if (matrix.Rows != points.Count)
            throw new ArgumentException($"{matrix.Rows} feature rows for {points.Count} points.", nameof(points));
        Matrix = matrix;
        _rows = new Dictionary<(long, DateTime), int>(points.Count);
        for (var i = 0; i < points.Count; i++)
            _rows.Add(points[i], i);
    }

    /// <summary>One row per point, in the order the points were given.</summary>
    public FeatureMatrix Matrix { get; }

    public bool Contains(long subjectId, DateTime predictionTime) => _rows.ContainsKey((subjectId, predictionTime));

    /// <summary>The rows of <paramref name="points"/>, in order (a view; a point may repeat).</summary>
    public FeatureMatrix Rows(IReadOnlyList<LabeledPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var rows = new int[points.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = _rows.TryGetValue((points[i].SubjectId, points[i].PredictionTime), out var row)
                ? row
                : throw new KeyNotFoundException($"No features for subject {points[i].SubjectId} at {points[i].PredictionTime:O}.");
        }
        return Matrix.SelectRows(rows);
    }
}
