using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using FhirRisk.Meds.Internal;
using FhirRisk.Meds.Tests.Ingestion;
using FhirRisk.Parquet;

namespace FhirRisk.Meds.Tests.Labels;

/// <summary>
/// How the MIMIC-IV demo FHIR export and the official MIMIC-IV demo MEDS shards name the same things
/// (shared/data/mimic-iv-demo/PROVENANCE.md "Conventions"), read from the sources themselves, never assumed:
/// <list type="bullet">
/// <item>Subjects: our subject id is a hash of the FHIR Patient id (<c>metadata/subject_map.parquet</c>); the Patient's
/// <c>…/identifier/patient</c> value is MIMIC's <c>subject_id</c>, which is the MEDS <c>subject_id</c>.</item>
/// <item>Times: our ingestion stores FHIR instants in UTC (DESIGN §3); MEDS_transforms copied the CSV's naive local
/// times. Every prediction time is an Encounter boundary, and the export wrote each boundary as local wall clock plus its
/// US-Eastern offset (<c>-04:00</c>/<c>-05:00</c>), so the UTC instant maps back to the exact wall clock it was written
/// as, with no time zone database involved.</item>
/// </list>
/// </summary>
internal sealed class MimicFhirMedsCorrespondence
{
    private readonly Dictionary<long, long> _mimicSubjectIds;
    private readonly Dictionary<DateTime, DateTime> _wallClockOfUtc;

    private MimicFhirMedsCorrespondence(Dictionary<long, long> mimicSubjectIds, Dictionary<DateTime, DateTime> wallClockOfUtc)
    {
        _mimicSubjectIds = mimicSubjectIds;
        _wallClockOfUtc = wallClockOfUtc;
    }

    /// <summary>Our subject ids of every ingested subject, with their MIMIC subject_id.</summary>
    public IReadOnlyDictionary<long, long> MimicSubjectIds => _mimicSubjectIds;

    /// <summary>Encounter boundary instants of the export (the times a prediction point can have).</summary>
    public int EncounterBoundaries => _wallClockOfUtc.Count;

    public static MimicFhirMedsCorrespondence Read(string fhirFolder, string ingestedDataset)
    {
        var mimicIdOfPatient = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var patient in Resources(Path.Combine(fhirFolder, "MimicPatient.ndjson.gz")))
        {
            var mimicId = patient.GetProperty("identifier").EnumerateArray()
                .Single(i => i.GetProperty("system").GetString()!.EndsWith("/identifier/patient", StringComparison.Ordinal))
                .GetProperty("value").GetString()!;
            mimicIdOfPatient.Add(patient.GetProperty("id").GetString()!, long.Parse(mimicId, CultureInfo.InvariantCulture));
        }
        var subjects = FhirIngestionRealDataTests.SubjectMapRows(ingestedDataset)
            .ToDictionary(row => row.SubjectId, row => mimicIdOfPatient[row.PatientId]);

        var wallClock = new Dictionary<DateTime, DateTime>();
        foreach (var file in Directory.GetFiles(fhirFolder, "MimicEncounter*.ndjson.gz"))
        {
            foreach (var encounter in Resources(file))
            {
                if (!encounter.TryGetProperty("period", out var period))
                    continue;
                foreach (var boundary in period.EnumerateObject())
                {
                    var written = DateTimeOffset.Parse(boundary.Value.GetString()!, CultureInfo.InvariantCulture);
                    if (wallClock.TryGetValue(written.UtcDateTime, out var known) && known != written.DateTime)
                        throw new InvalidOperationException($"{Path.GetFileName(file)}: one instant written as two wall-clock times");
                    wallClock[written.UtcDateTime] = written.DateTime;
                }
            }
        }
        return new MimicFhirMedsCorrespondence(subjects, wallClock);
    }

    /// <summary>The local wall-clock time the export wrote for the UTC instant <paramref name="utc"/>.</summary>
    public DateTime WallClock(DateTime utc) => _wallClockOfUtc.TryGetValue(utc, out var local)
        ? local
        : throw new InvalidOperationException("A prediction time of the ingested data is no Encounter boundary of the FHIR export.");

    /// <summary>
    /// Each subject of the MEDS shards with the times of its <c>TRANSFER_TO//ED//…</c> rows that carry no
    /// <c>hadm_id</c>: ED visits that led to no admission. MEDS_transforms builds ED_REGISTRATION and ED_OUT from the
    /// admissions table (<c>edregtime</c>, <c>edouttime</c>), so such a visit is in the shards only as this transfer row.
    /// </summary>
    public static IReadOnlyDictionary<long, HashSet<DateTime>> UnadmittedEdTransfers(string medsDataset)
    {
        var visits = new Dictionary<long, HashSet<DateTime>>();
        foreach (var shard in MedsDatasetReader.Open(medsDataset).Shards)
        {
            using var reader = ParquetFileReader.Open(shard.FullPath);
            foreach (var group in reader.ReadRowGroups(["subject_id", "time", "code", "hadm_id"]))
            {
                var subjects = group["subject_id"].As<long>();
                var times = group["time"];
                var codes = group["code"].As<string?>();
                var admissions = group["hadm_id"];
                for (var i = 0; i < group.RowCount; i++)
                {
                    if (!visits.TryGetValue(subjects[i], out var subjectVisits))
                        visits[subjects[i]] = subjectVisits = [];
                    if (codes[i]?.StartsWith("TRANSFER_TO//ED//", StringComparison.Ordinal) == true && admissions.IsNull(i)
                        && !times.IsNull(i) && MedsTime.TryFromMicroseconds(times.As<long>()[i], out var time))
                        subjectVisits.Add(time);
                }
            }
        }
        return visits;
    }

    private static IEnumerable<JsonElement> Resources(string ndjsonGz)
    {
        using var file = File.OpenRead(ndjsonGz);
        using var reader = new StreamReader(new GZipStream(file, CompressionMode.Decompress));
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
                continue;
            using var document = JsonDocument.Parse(line);
            yield return document.RootElement.Clone();
        }
    }
}
