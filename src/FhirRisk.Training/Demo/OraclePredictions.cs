using FhirRisk.Model.Cpu;
using FhirRisk.Parquet;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Training.Demo;

/// <summary>The oracle's rows and how well the truth file matched the labelled points.</summary>
/// <param name="Predictions">Method <see cref="OraclePredictions.MethodName"/>: the true probability at every matched point.</param>
/// <param name="Unmatched">Points with no truth row (left out of every method, so all are scored on the same points).</param>
/// <param name="OutcomeMismatches">Matched points whose label (from the FHIR export) differs from the drawn outcome; 0
/// when ingestion and labelling reproduce the simulation, as docs/formats/simulator-truth.md requires.</param>
/// <param name="Observable">Method <see cref="OraclePredictions.ObservableMethodName"/>: the observable probability at the
/// matched points that have one (none from a version-1 truth file).</param>
public sealed record OracleMatch(IReadOnlyList<Prediction> Predictions, int Unmatched, int OutcomeMismatches, IReadOnlyList<Prediction> Observable)
{
    /// <summary>Method <see cref="OraclePredictions.RecordMethodName"/>: the record reference at the matched points that
    /// have one (the four admission tasks; none from a truth file before version 3).</summary>
    public IReadOnlyList<Prediction> Record { get; init; } = [];
}

/// <summary>
/// The simulator's true probabilities as a predictions method (docs/simulator.md): <c>ground_truth.parquet</c>
/// (docs/formats/simulator-truth.md) joined to labelled points on (task, subject_id, prediction_time). Scored by
/// <c>evaluate</c> beside the models, its AUROC is the best any model can reach on those very points.
/// </summary>
public static class OraclePredictions
{
    public const string MethodName = "oracle";

    /// <summary>The method of <see cref="SampleRollouts"/>: the oracle seen through as many rollouts as the model had.</summary>
    public const string SampledMethodName = "oracle_sampled";

    /// <summary>The record reference seen through as many rollouts as the model had: the best a model reading the record
    /// can expect to score when its answer is a count of rollouts (review s16-simulator #2).</summary>
    public const string RecordSampledMethodName = "oracle_record_sampled";

    /// <summary>
    /// The observable truth (docs/simulator.md §6): the true probability averaged over what the record leaves unknown
    /// of the episode's severity, given its diagnosis and baseline risk. Its AUROC bounds any model's from above (a
    /// model that sees the record knows less), where the oracle's also credits the unobservable measurement noise.
    /// </summary>
    public const string ObservableMethodName = "oracle_observable";

    /// <summary>
    /// The record reference (docs/simulator.md §6): the observable truth without the frailty or the diagnosis, averaged
    /// over what the record leaves unknown of the diagnosis, the frailty and the severity. An estimate of the best a model
    /// reading the record can do, not a bound (it leaves out what earlier stays' outcomes say).
    /// </summary>
    public const string RecordMethodName = "oracle_record";

    /// <summary>Oracle rows for the all-data points of <paramref name="points"/> (each (task, subject, time) once).</summary>
    /// <exception cref="InvalidDataException">The truth file lacks a column or is another format version.</exception>
    public static OracleMatch Match(string truthFile, IEnumerable<Prediction> points) => SimulatorTruth.Read(truthFile).Match(points);

    /// <summary>
    /// What a perfect generative model would score with the same rollout counts: for each oracle row, k of its n
    /// rollouts positive, k ~ Binomial(n, true probability), and the estimate k / n. Rollout estimates are counts, so
    /// even the true model loses AUROC to ties and Monte-Carlo noise (a 6 % outcome in 20 rollouts is mostly 0 / 20);
    /// scored beside the rollouts and the oracle, this row separates that loss from the model's (docs/inference.md).
    /// </summary>
    /// <param name="oracle">The oracle rows (<see cref="Match"/>).</param>
    /// <param name="rollouts">Labelled rollouts per point, keyed as the oracle rows; a row without a count is left out.</param>
    /// <param name="seed">Seeds the draws: row i draws from stream i, so the result does not depend on the order of work.</param>
    /// <param name="method">The rows' method: <see cref="SampledMethodName"/>, or <see cref="RecordSampledMethodName"/>
    /// when <paramref name="oracle"/> holds the record reference's rows.</param>
    public static IReadOnlyList<Prediction> SampleRollouts(IReadOnlyList<Prediction> oracle,
        IReadOnlyDictionary<(string Task, long SubjectId, DateTime PredictionTime), int> rollouts, ulong seed, string method = SampledMethodName)
    {
        ArgumentNullException.ThrowIfNull(oracle);
        ArgumentNullException.ThrowIfNull(rollouts);
        var rows = new List<Prediction>(oracle.Count);
        for (var i = 0; i < oracle.Count; i++)
        {
            var row = oracle[i];
            if (!rollouts.TryGetValue((row.Task, row.SubjectId, row.PredictionTime), out var n) || n < 1)
                continue;
            var positives = 0;
            for (var draw = 0; draw < n; draw++)
                positives += CounterRng.ToUniformDouble(CounterRng.Block(seed, (ulong)i, (ulong)draw).X0) < row.Probability ? 1 : 0;
            rows.Add(row with { Method = method, Probability = (double)positives / n });
        }
        return rows;
    }

    internal static long Micros(DateTime time) => (time.Ticks - DateTime.UnixEpoch.Ticks) / (TimeSpan.TicksPerMillisecond / 1000);
}

/// <summary>
/// A simulator truth file read once (docs/formats/simulator-truth.md): its rows keyed by (task, subject_id,
/// prediction_time), to be matched to any number of point sets (<see cref="Match"/>) without reading the file again.
/// </summary>
public sealed class SimulatorTruth
{
    private const string ObservableColumn = "observable_probability";
    private const string RecordColumn = "record_probability";

    private static readonly string[] Columns = ["task", "subject_id", "prediction_time", "probability", "outcome"];

    private readonly Dictionary<(string Task, long Subject, long Time), (double Probability, bool Outcome, double? Observable, double? Record)> _rows;

    private SimulatorTruth(Dictionary<(string, long, long), (double, bool, double?, double?)> rows) => _rows = rows;

    /// <summary>Reads a truth file.</summary>
    /// <exception cref="InvalidDataException">The file lacks a column or is another format version.</exception>
    public static SimulatorTruth Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = ParquetFileReader.Open(path);
        if (reader.KeyValueMetadata.TryGetValue("fhirrisk.format_version", out var version) && version is not "1" and not "2" and not "3")
            throw new InvalidDataException($"'{path}' is simulator-truth version {version}; this build reads versions 1 to 3. Hint: simulate the cohort again with this build.");
        foreach (var column in Columns)
        {
            if (!reader.Schema.Contains(column))
                throw new InvalidDataException($"'{path}' has no column '{column}'; it is not a simulator ground-truth file (docs/formats/simulator-truth.md).");
        }
        string[] optional = [.. new[] { ObservableColumn, RecordColumn }.Where(reader.Schema.Contains)];
        var truth = new Dictionary<(string, long, long), (double, bool, double?, double?)>();
        foreach (var group in reader.ReadRowGroups([.. Columns, .. optional]))
        {
            var task = group["task"].As<string?>();
            var subject = group["subject_id"].As<long>();
            var time = group["prediction_time"].As<long>();
            var probability = group["probability"].As<double>();
            var outcome = group["outcome"].As<bool>();
            var observable = optional.Contains(ObservableColumn) ? group[ObservableColumn] : null;
            var record = optional.Contains(RecordColumn) ? group[RecordColumn] : null;
            for (var i = 0; i < group.RowCount; i++)
                truth[(task[i]!, subject[i], time[i])] = (probability[i], outcome[i], Optional(observable, i), Optional(record, i));
        }
        return new SimulatorTruth(truth);
    }

    private static double? Optional(ParquetColumn? column, int row) => column is null || column.IsNull(row) ? null : column.As<double>()[row];

    /// <summary>Oracle rows for the all-data points of <paramref name="points"/> (each (task, subject, time) once).</summary>
    public OracleMatch Match(IEnumerable<Prediction> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var (rows, observable, record, unmatched, mismatches) = (new List<Prediction>(), new List<Prediction>(), new List<Prediction>(), 0, 0);
        var seen = new HashSet<(string, long, long)>();
        foreach (var point in points)
        {
            var key = (point.Task, point.SubjectId, OraclePredictions.Micros(point.PredictionTime));
            if (!seen.Add(key))
                continue;
            if (!_rows.TryGetValue(key, out var value))
            {
                unmatched++;
                continue;
            }
            mismatches += value.Outcome == point.Label ? 0 : 1;
            rows.Add(point with { Method = OraclePredictions.MethodName, Probability = value.Probability, KShot = null, Replicate = null });
            if (value.Observable is { } p)
                observable.Add(point with { Method = OraclePredictions.ObservableMethodName, Probability = p, KShot = null, Replicate = null });
            if (value.Record is { } r)
                record.Add(point with { Method = OraclePredictions.RecordMethodName, Probability = r, KShot = null, Replicate = null });
        }
        return new OracleMatch(rows, unmatched, mismatches, observable) { Record = record };
    }
}
