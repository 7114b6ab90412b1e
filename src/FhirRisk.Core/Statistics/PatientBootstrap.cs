namespace FhirRisk.Core.Statistics;

/// <summary>
/// Metrics with 95% bootstrap confidence intervals resampled by patient (issue 6 §5). A patient contributes several
/// prediction points (one per stay), which are correlated; resampling rows would treat them as independent and give
/// intervals that are too narrow. Each replicate draws as many patients as there are, with replacement, and takes
/// every row of each drawn patient as often as the patient was drawn; the interval is the percentile interval of the
/// replicates (Efron &amp; Tibshirani 1993, §13.3).
/// </summary>
public static class PatientBootstrap
{
    /// <param name="probabilities">Predicted probabilities in [0, 1].</param>
    /// <param name="labels">Outcomes, one per probability.</param>
    /// <param name="patientIds">The patient of each row: the resampling unit.</param>
    /// <param name="settings">Replicates, seed, level and calibration bins; defaults when null.</param>
    public static BinaryEvaluation Evaluate(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels, ReadOnlySpan<long> patientIds, BootstrapSettings? settings = null)
    {
        settings ??= new BootstrapSettings();
        settings.Validate();
        if (patientIds.Length != labels.Length)
            throw new ArgumentException($"{patientIds.Length} patient ids for {labels.Length} labels.", nameof(patientIds));
        var ranking = new ScoreRanking(probabilities, labels);
        var bins = new ProbabilityBins(probabilities, labels, settings.CalibrationBins);
        var (patientOfRow, patients) = IndexPatients(patientIds);
        var positives = labels.Count(true);

        var unit = MetricInputs.UnitWeights(labels.Length);
        var estimates = new double[4];
        Compute(ranking, bins, unit, estimates);
        var replicates = new double[4][];
        for (var metric = 0; metric < replicates.Length; metric++)
            replicates[metric] = new double[settings.Replicates];

        // Replicates run in parallel; each draws from its own stream and writes its own slot, so the result does not
        // depend on the thread count or schedule.
        Parallel.For(0, patients > 0 ? settings.Replicates : 0,
            () => (Draws: new int[patients], Weights: new double[patientOfRow.Length], Values: new double[4]),
            (replicate, _, buffers) =>
            {
                var random = new SplitMix64(settings.Seed, (ulong)replicate);
                Array.Clear(buffers.Draws);
                for (var i = 0; i < patients; i++)
                    buffers.Draws[random.NextInt(patients)]++;
                for (var row = 0; row < buffers.Weights.Length; row++)
                    buffers.Weights[row] = buffers.Draws[patientOfRow[row]];
                Compute(ranking, bins, buffers.Weights, buffers.Values);
                for (var metric = 0; metric < buffers.Values.Length; metric++)
                    replicates[metric][replicate] = buffers.Values[metric];
                return buffers;
            },
            _ => { });

        return new BinaryEvaluation(labels.Length, positives, patients,
            Estimate(estimates[0], replicates[0], settings.ConfidenceLevel),
            Estimate(estimates[1], replicates[1], settings.ConfidenceLevel),
            Estimate(estimates[2], replicates[2], settings.ConfidenceLevel),
            Estimate(estimates[3], replicates[3], settings.ConfidenceLevel));
    }

    private static void Compute(ScoreRanking ranking, ProbabilityBins bins, ReadOnlySpan<double> weights, Span<double> values)
    {
        values[0] = ranking.Auroc(weights);
        values[1] = ranking.AveragePrecision(weights);
        values[2] = bins.BrierScore(weights);
        values[3] = bins.ExpectedCalibrationError(weights);
    }

    private static MetricEstimate Estimate(double value, double[] replicates, double level)
    {
        if (double.IsNaN(value))
            return MetricEstimate.Undefined;
        var defined = replicates.Where(r => !double.IsNaN(r)).Order().ToArray();
        var tail = (1 - level) / 2;
        return new MetricEstimate(value, Percentiles.Linear(defined, tail), Percentiles.Linear(defined, 1 - tail), defined.Length);
    }

    /// <summary>A dense index 0..patients−1 for each row's patient, in order of first appearance.</summary>
    private static (int[] PatientOfRow, int Patients) IndexPatients(ReadOnlySpan<long> patientIds)
    {
        var index = new Dictionary<long, int>();
        var patientOfRow = new int[patientIds.Length];
        for (var row = 0; row < patientIds.Length; row++)
        {
            if (!index.TryGetValue(patientIds[row], out var patient))
                index.Add(patientIds[row], patient = index.Count);
            patientOfRow[row] = patient;
        }
        return (patientOfRow, index.Count);
    }
}
