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
        var replicates = Replicates(settings, patientOfRow, patients, estimates.Length, (weights, values) => Compute(ranking, bins, weights, values));

        return new BinaryEvaluation(labels.Length, positives, patients,
            Estimate(estimates[0], replicates[0], settings.ConfidenceLevel),
            Estimate(estimates[1], replicates[1], settings.ConfidenceLevel),
            Estimate(estimates[2], replicates[2], settings.ConfidenceLevel),
            Estimate(estimates[3], replicates[3], settings.ConfidenceLevel));
    }

    /// <summary>
    /// The AUROC of <paramref name="scores"/> minus that of <paramref name="reference"/> on the same rows, with a paired
    /// interval: each replicate draws one multiset of patients and scores both on it, so what the two share (the same
    /// hard and easy patients) cancels and the interval is that of the difference, not of either AUROC. The replicates
    /// are those of <see cref="Evaluate"/> with the same settings and rows, so a difference and the two AUROCs it
    /// compares come from the same resamples.
    /// </summary>
    /// <param name="scores">The compared method's probabilities.</param>
    /// <param name="reference">The reference method's probabilities for the same rows (an oracle, a baseline).</param>
    /// <param name="labels">Outcomes, one per row.</param>
    /// <param name="patientIds">The patient of each row: the resampling unit.</param>
    /// <param name="settings">Replicates, seed and level; defaults when null.</param>
    /// <returns>Undefined when the labels hold one class only.</returns>
    public static MetricEstimate CompareAuroc(ReadOnlySpan<double> scores, ReadOnlySpan<double> reference, ReadOnlySpan<bool> labels, ReadOnlySpan<long> patientIds, BootstrapSettings? settings = null)
    {
        settings ??= new BootstrapSettings();
        settings.Validate();
        if (reference.Length != scores.Length)
            throw new ArgumentException($"{reference.Length} reference scores for {scores.Length} scores.", nameof(reference));
        if (patientIds.Length != labels.Length)
            throw new ArgumentException($"{patientIds.Length} patient ids for {labels.Length} labels.", nameof(patientIds));
        var compared = new ScoreRanking(scores, labels);
        var baseline = new ScoreRanking(reference, labels);
        var (patientOfRow, patients) = IndexPatients(patientIds);
        var unit = MetricInputs.UnitWeights(labels.Length);
        var difference = compared.Auroc(unit) - baseline.Auroc(unit);
        var replicates = Replicates(settings, patientOfRow, patients, 1, (weights, values) => values[0] = compared.Auroc(weights) - baseline.Auroc(weights));
        return Estimate(difference, replicates[0], settings.ConfidenceLevel);
    }

    /// <summary>
    /// Runs <paramref name="compute"/> once per replicate with that replicate's row weights (how often its patient was
    /// drawn) and collects its <paramref name="metrics"/> values per metric. Replicates run in parallel; each draws from
    /// its own stream and writes its own slot, so the result does not depend on the thread count or schedule.
    /// </summary>
    private static double[][] Replicates(BootstrapSettings settings, int[] patientOfRow, int patients, int metrics, Action<double[], double[]> compute)
    {
        var replicates = new double[metrics][];
        for (var metric = 0; metric < metrics; metric++)
            replicates[metric] = new double[settings.Replicates];
        Parallel.For(0, patients > 0 ? settings.Replicates : 0,
            () => (Draws: new int[patients], Weights: new double[patientOfRow.Length], Values: new double[metrics]),
            (replicate, _, buffers) =>
            {
                var random = new SplitMix64(settings.Seed, (ulong)replicate);
                Array.Clear(buffers.Draws);
                for (var i = 0; i < patients; i++)
                    buffers.Draws[random.NextInt(patients)]++;
                for (var row = 0; row < buffers.Weights.Length; row++)
                    buffers.Weights[row] = buffers.Draws[patientOfRow[row]];
                compute(buffers.Weights, buffers.Values);
                for (var metric = 0; metric < metrics; metric++)
                    replicates[metric][replicate] = buffers.Values[metric];
                return buffers;
            },
            _ => { });
        return replicates;
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

    /// <summary>
    /// A dense index 0..patients−1 for each row's patient, in ascending order of patient id: a replicate's draws then
    /// name the same patients whatever order the rows come in, so the intervals of one set of predictions do not depend
    /// on how its file is sorted, and runs of different files over the same points share their resamples.
    /// </summary>
    private static (int[] PatientOfRow, int Patients) IndexPatients(ReadOnlySpan<long> patientIds)
    {
        var ids = patientIds.ToArray();
        var sorted = ids.Distinct().Order().ToArray();
        var index = new Dictionary<long, int>(sorted.Length);
        for (var i = 0; i < sorted.Length; i++)
            index.Add(sorted[i], i);
        var patientOfRow = new int[ids.Length];
        for (var row = 0; row < ids.Length; row++)
            patientOfRow[row] = index[ids[row]];
        return (patientOfRow, sorted.Length);
    }
}
