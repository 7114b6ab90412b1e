using FhirRisk.Parquet;

namespace FhirRisk.Synthetic.Tests;

/// <summary>A row of ground_truth.parquet as read back with our Parquet reader.</summary>
internal sealed record TruthFileRow(string Task, string PatientId, string EncounterId, DateTime AdmissionTime, DateTime PredictionTime,
    long SubjectId, long MedsEncounterId, double Probability, bool Outcome, double? ObservableProbability, double? RecordProbability);

internal static class TruthFile
{
    public static (List<TruthFileRow> Rows, IReadOnlyDictionary<string, string> Metadata) Read(string folder)
    {
        using var reader = ParquetFileReader.Open(Path.Combine(folder, "ground_truth.parquet"));
        var rows = new List<TruthFileRow>();
        foreach (var group in reader.ReadRowGroups())
        {
            var tasks = group["task"].As<string?>();
            var patients = group["patient_id"].As<string?>();
            var encounters = group["encounter_id"].As<string?>();
            var admissions = group["admission_time"].As<long>();
            var predictions = group["prediction_time"].As<long>();
            var subjects = group["subject_id"].As<long>();
            var medsEncounters = group["meds_encounter_id"].As<long>();
            var probabilities = group["probability"].As<double>();
            var outcomes = group["outcome"].As<bool>();
            var observable = group["observable_probability"];
            var record = group["record_probability"];
            for (var i = 0; i < group.RowCount; i++)
            {
                rows.Add(new TruthFileRow(tasks[i]!, patients[i]!, encounters[i]!, Time(admissions[i]), Time(predictions[i]),
                    subjects[i], medsEncounters[i], probabilities[i], outcomes[i],
                    observable.IsNull(i) ? null : observable.As<double>()[i], record.IsNull(i) ? null : record.As<double>()[i]));
            }
        }
        return (rows, reader.KeyValueMetadata);
    }

    private static DateTime Time(long microseconds) => DateTime.UnixEpoch.AddTicks(microseconds * 10);
}
