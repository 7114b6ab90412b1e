using FhirRisk.Parquet;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// Writes <c>metadata/subject_map.parquet</c> (DESIGN §3): <c>subject_id</c> int64, <c>patient_id</c> string (the FHIR
/// logical id) and <c>source</c> string, ordered by subject id, so a MEDS subject can be traced back to its Patient.
/// </summary>
internal static class SubjectMapTable
{
    public const string FileName = "metadata/subject_map.parquet";

    public static ParquetSchema Schema { get; } = new(
        new ParquetField("subject_id", ParquetType.Int64, Nullable: false),
        new ParquetField("patient_id", ParquetType.String, Nullable: false),
        new ParquetField("source", ParquetType.String, Nullable: false));

    public static void Write(string datasetRoot, IEnumerable<(long SubjectId, string PatientId, string Source)> entries, ParquetWriterOptions options)
    {
        var rows = entries.OrderBy(e => e.SubjectId).ThenBy(e => e.PatientId, StringComparer.Ordinal).ToArray();
        var ids = rows.Select(r => r.SubjectId).ToArray();
        var patients = rows.Select(r => (string?)r.PatientId).ToArray();
        var sources = rows.Select(r => (string?)r.Source).ToArray();
        using var writer = ParquetFileWriter.CreateOwnerOnly(Path.Combine(datasetRoot, FileName), Schema, options);
        writer.WriteRowGroup([
            ParquetColumn.Create(Schema.Fields[0], ids),
            ParquetColumn.Create(Schema.Fields[1], patients),
            ParquetColumn.Create(Schema.Fields[2], sources),
        ]);
    }
}
