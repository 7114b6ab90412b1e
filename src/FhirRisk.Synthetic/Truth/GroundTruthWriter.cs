using FhirRisk.Core;
using FhirRisk.Parquet;
using FhirRisk.Synthetic.Model;

namespace FhirRisk.Synthetic.Truth;

/// <summary>
/// Writes <c>ground_truth.parquet</c> (docs/formats/simulator-truth.md): one row per task and prediction point, in
/// generation order, buffered into row groups of <see cref="RowsPerGroup"/> so memory stays flat.
/// </summary>
internal sealed class GroundTruthWriter : IDisposable
{
    public const string FileName = "ground_truth.parquet";
    public const string FormatKey = "fhirrisk.format";
    public const string FormatName = "simulator-truth";
    public const string VersionKey = "fhirrisk.format_version";
    public const int Version = 3;
    private const int RowsPerGroup = 65_536;

    public static readonly ParquetSchema Schema = new(
        new ParquetField("task", ParquetType.String, Nullable: false),
        new ParquetField("patient_id", ParquetType.String, Nullable: false),
        new ParquetField("encounter_id", ParquetType.String, Nullable: false),
        ParquetField.Timestamp("admission_time", nullable: false),
        ParquetField.Timestamp("prediction_time", nullable: false),
        new ParquetField("subject_id", ParquetType.Int64, Nullable: false),
        new ParquetField("meds_encounter_id", ParquetType.Int64, Nullable: false),
        new ParquetField("probability", ParquetType.Double, Nullable: false),
        new ParquetField("outcome", ParquetType.Boolean, Nullable: false),
        new ParquetField("severity", ParquetType.Double, Nullable: false),
        new ParquetField("baseline_risk", ParquetType.Double, Nullable: false),
        new ParquetField("observable_probability", ParquetType.Double, Nullable: true),
        new ParquetField("record_probability", ParquetType.Double, Nullable: true));

    private readonly ParquetFileWriter _writer;
    private readonly string _source;
    private readonly List<(string PatientId, TruthRow Row)> _rows = new(RowsPerGroup);

    /// <summary>Creates the file; <paramref name="ingestionSource"/> is the <c>FhirMappingSettings.Source</c> that the
    /// MEDS ids are computed for.</summary>
    public GroundTruthWriter(string path, string ingestionSource, IReadOnlyDictionary<string, string> metadata)
    {
        _source = ingestionSource;
        var keyValues = new Dictionary<string, string>(metadata, StringComparer.Ordinal)
        {
            [FormatKey] = FormatName,
            [VersionKey] = Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        _writer = ParquetFileWriter.Create(path, Schema, ParquetWriterOptions.Default with { KeyValueMetadata = keyValues });
    }

    public void Add(string patientId, TruthRow row)
    {
        _rows.Add((patientId, row));
        if (_rows.Count == RowsPerGroup)
            Flush();
    }

    public void Dispose()
    {
        Flush();
        _writer.Dispose();
    }

    private void Flush()
    {
        if (_rows.Count == 0)
            return;
        var n = _rows.Count;
        var tasks = new string?[n];
        var patients = new string?[n];
        var encounters = new string?[n];
        var admissions = new long[n];
        var predictions = new long[n];
        var subjects = new long[n];
        var medsEncounters = new long[n];
        var probabilities = new double[n];
        var outcomes = new bool[n];
        var severities = new double[n];
        var baselines = new double[n];
        var observables = new double[n];
        var observed = new bool[n];
        var records = new double[n];
        var recorded = new bool[n];
        for (var i = 0; i < n; i++)
        {
            var (patientId, row) = _rows[i];
            tasks[i] = row.Task;
            patients[i] = patientId;
            encounters[i] = row.EncounterId;
            admissions[i] = Microseconds(row.AdmissionTime);
            predictions[i] = Microseconds(row.PredictionTime);
            subjects[i] = StableHash.Of63(_source + "|Patient/" + patientId);
            medsEncounters[i] = StableHash.Of63(_source + "|Encounter/" + row.EncounterId);
            probabilities[i] = row.Probability;
            outcomes[i] = row.Outcome;
            severities[i] = row.Severity;
            baselines[i] = row.BaselineRisk;
            (observables[i], observed[i]) = row.ObservableProbability is { } p ? (p, true) : (0, false);
            (records[i], recorded[i]) = row.RecordProbability is { } r ? (r, true) : (0, false);
        }
        Array[] columns = [tasks, patients, encounters, admissions, predictions, subjects, medsEncounters, probabilities, outcomes, severities, baselines, observables, records];
        var present = new Dictionary<Array, bool[]> { [observables] = observed, [records] = recorded };
        _writer.WriteRowGroup([.. Schema.Fields.Select((field, i) => ParquetColumn.Create(field, columns[i], present.GetValueOrDefault(columns[i])))]);
        _rows.Clear();
    }

    /// <summary>Naive UTC microseconds since the epoch, as MEDS times are.</summary>
    private static long Microseconds(DateTime time) => (time.Ticks - DateTime.UnixEpoch.Ticks) / 10;
}
