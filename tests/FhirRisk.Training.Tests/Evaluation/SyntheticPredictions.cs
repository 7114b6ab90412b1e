using FhirRisk.Core.Statistics;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Training.Tests.Evaluation;

/// <summary>Small, seeded prediction sets: patients with one to three stays, a risk each, outcomes drawn from it.</summary>
internal static class SyntheticPredictions
{
    public static readonly DateTime Start = new(2020, 1, 1, 8, 0, 0);

    /// <summary>Labeled points of one task; <paramref name="positiveRate"/> scales every patient's risk.</summary>
    public static LabeledPoint[] Points(int patients, ulong seed, double positiveRate = 0.3, long firstSubject = 1)
    {
        var random = new SplitMix64(seed);
        var points = new List<LabeledPoint>();
        for (var patient = 0; patient < patients; patient++)
        {
            for (var stay = 1 + random.NextInt(3); stay > 0; stay--)
                points.Add(new LabeledPoint(firstSubject + patient, Start.AddDays(patient * 10 + stay).AddMicroseconds(17), random.NextDouble() < positiveRate));
        }
        return [.. points];
    }

    /// <summary>Predictions of a method for <paramref name="points"/>: informative (label + noise) with <paramref name="skill"/>.</summary>
    public static Prediction[] Predict(IEnumerable<LabeledPoint> points, string task, string method, double skill, ulong seed, int? k = null, int? replicate = null)
    {
        var random = new SplitMix64(seed);
        return
        [
            .. points.Select(p => new Prediction(p.SubjectId, p.PredictionTime, task, method,
                Math.Clamp(0.5 + skill * (p.Label ? 0.3 : -0.3) + (random.NextDouble() - 0.5) * 0.8, 0, 1), p.Label, k, replicate)),
        ];
    }
}
