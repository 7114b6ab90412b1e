using System.Text.Json;
using FhirRisk.Meds;
using FhirRisk.Synthetic.Codes;
using FhirRisk.Synthetic.Fhir;

namespace FhirRisk.Synthetic.Generation;

/// <summary>
/// Writes generated patients' MEDS events as a FHIR R4 Bulk Data export (docs/generate.md "FHIR"), in the resources our
/// ingestion reads, so that <c>fhirrisk ingest</c> gives the events back:
/// <list type="bullet">
/// <item>Patient: <c>GENDER//…</c>, <c>MEDS_BIRTH</c>, <c>RACE//…</c> and <c>ETHNICITY//…</c> (US Core extensions), the first <c>MEDS_DEATH</c>.</item>
/// <item>Encounter: <c>HOSPITAL_ADMISSION</c> … <c>HOSPITAL_DISCHARGE</c> (class IMP/ACUTE/NONAC as coded, else IMP;
/// the disposition), <c>ICU_ADMISSION//unit</c> … <c>ICU_DISCHARGE</c> (a <c>partOf</c> sub-encounter located in the
/// unit's Location), <c>ED_REGISTRATION</c> … <c>ED_OUT</c> (EMER), <c>VISIT//class</c>. An encounter still open at
/// the end of the timeline is <c>in-progress</c>.</item>
/// <item>Condition (ICD-10-CM, ICD-9-CM, SNOMED CT) as a problem-list item recorded at the event's time;
/// Observation (LOINC, with the decoded value and unit); MedicationAdministration (RxNorm, NDC); Procedure
/// (ICD-10-PCS, CPT).</item>
/// </list>
/// Other codes (a model's <c>UNK//…</c>, local vocabularies) have no FHIR home here and are counted, not written.
/// </summary>
internal sealed class GeneratedFhirWriter : IDisposable
{
    public static readonly string[] ResourceTypes =
    [
        FhirResourceTypes.Patient, FhirResourceTypes.Location, FhirResourceTypes.Encounter, FhirResourceTypes.Condition,
        FhirResourceTypes.Observation, FhirResourceTypes.MedicationAdministration, FhirResourceTypes.Procedure,
    ];

    private static readonly Dictionary<string, (string System, string Type)> s_vocabularies = new(StringComparer.Ordinal)
    {
        ["ICD10CM"] = (CodeSystemUris.Icd10Cm, FhirResourceTypes.Condition),
        ["ICD9CM"] = ("http://hl7.org/fhir/sid/icd-9-cm", FhirResourceTypes.Condition),
        ["SNOMED"] = (CodeSystemUris.Snomed, FhirResourceTypes.Condition),
        ["LOINC"] = (CodeSystemUris.Loinc, FhirResourceTypes.Observation),
        ["RXNORM"] = (CodeSystemUris.RxNorm, FhirResourceTypes.MedicationAdministration),
        ["NDC"] = ("http://hl7.org/fhir/sid/ndc", FhirResourceTypes.MedicationAdministration),
        ["ICD10PCS"] = ("http://hl7.org/fhir/sid/icd-10-pcs", FhirResourceTypes.Procedure),
        ["CPT4"] = ("http://www.ama-assn.org/go/cpt", FhirResourceTypes.Procedure),
    };

    private static readonly Coded s_problemList = new(CodeSystemUris.ConditionCategory, "problem-list-item", "Problem List Item");
    private static readonly Coded s_laboratory = new(CodeSystemUris.ObservationCategory, "laboratory", "Laboratory");
    private static readonly Coded s_icuType = new(CodeSystemUris.Snomed, "305351004", "Admission to intensive care unit (procedure)");
    private static readonly string[] s_inpatientClasses = ["IMP", "ACUTE", "NONAC"];
    private static readonly string[] s_dispositions = ["home", "alt-home", "other-hcf", "hosp", "long", "aadvice", "exp", "psy", "rehab", "snf", "oth"];

    private readonly BulkNdjsonWriter _export;
    private readonly HashSet<string> _locations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _skipped = new(StringComparer.Ordinal);

    public GeneratedFhirWriter(string folder)
    {
        Directory.CreateDirectory(folder);
        _export = new BulkNdjsonWriter(folder, ResourceTypes);
    }

    /// <summary>Resources written per type.</summary>
    public IReadOnlyList<(string Type, long Count)> Counts => _export.Counts;

    /// <summary>Events not written, by vocabulary.</summary>
    public IReadOnlyDictionary<string, long> Skipped => _skipped;

    public void Write(GeneratedPatient patient)
    {
        var id = "syn-" + patient.SubjectId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        WritePatient(id, patient.Events);
        var encounters = new EncounterTracker(id);
        var n = 0;
        foreach (var ev in patient.Events)
        {
            if (ev.Time is not { } time || ev.Code == MedsSchema.BirthCode || ev.Code == MedsSchema.DeathCode)
                continue;
            if (encounters.Take(ev.Code, time) is { } closed)
                WriteEncounter(closed, id);
            else if (!encounters.IsEncounterCode(ev.Code))
                WriteClinical(ev, time, $"{id}-{n++}", id);
        }
        foreach (var open in encounters.Open())
            WriteEncounter(open, id);
    }

    /// <summary>Flushes the files and writes <c>manifest.json</c>.</summary>
    public void Complete(DateTime transactionTime) => _export.Complete(transactionTime, "fhirrisk generate");

    public void Dispose() => _export.Dispose();

    private void WritePatient(string id, IReadOnlyList<MedsEvent> events)
    {
        var json = _export.Begin(FhirResourceTypes.Patient);
        json.WriteStartObject();
        json.WriteString("resourceType"u8, FhirResourceTypes.Patient);
        json.WriteString("id"u8, id);
        var omb = events.Where(e => e.Time is null && (e.Code.StartsWith("RACE//", StringComparison.Ordinal) || e.Code.StartsWith("ETHNICITY//", StringComparison.Ordinal))).ToArray();
        if (omb.Length > 0)
        {
            json.WriteStartArray("extension"u8);
            foreach (var e in omb)
            {
                var race = e.Code.StartsWith("RACE//", StringComparison.Ordinal);
                OmbExtension(json, race ? CodeSystemUris.UsCoreRace : CodeSystemUris.UsCoreEthnicity, e.Code[(e.Code.IndexOf("//", StringComparison.Ordinal) + 2)..]);
            }
            json.WriteEndArray();
        }
        if (events.FirstOrDefault(e => e.Code.StartsWith("GENDER//", StringComparison.Ordinal)).Code is { } gender)
            json.WriteString("gender"u8, gender[^1..] switch { "F" => "female", "M" => "male", "O" => "other", _ => "unknown" });
        if (events.FirstOrDefault(e => e.Code == MedsSchema.BirthCode).Time is { } birth)
            FhirJson.Date(json, "birthDate"u8, birth);
        if (events.FirstOrDefault(e => e.Code == MedsSchema.DeathCode).Time is { } death)
            FhirJson.DateTime(json, "deceasedDateTime"u8, death);
        json.WriteEndObject();
        _export.End(FhirResourceTypes.Patient);
    }

    private void WriteEncounter(GeneratedEncounter encounter, string patientId)
    {
        if (encounter.Unit is { } unit && _locations.Add(unit))
            WriteLocation(unit);
        var json = _export.Begin(FhirResourceTypes.Encounter);
        json.WriteStartObject();
        json.WriteString("resourceType"u8, FhirResourceTypes.Encounter);
        json.WriteString("id"u8, encounter.Id);
        json.WriteString("status"u8, encounter.End is null ? "in-progress" : "finished");
        var classCode = encounter.Kind switch
        {
            GeneratedEncounterKind.Inpatient or GeneratedEncounterKind.Icu => s_inpatientClasses.Contains(encounter.Class) ? encounter.Class! : "IMP",
            GeneratedEncounterKind.Emergency => "EMER",
            _ => encounter.Class ?? "AMB",
        };
        json.WriteStartObject("class"u8);
        json.WriteString("system"u8, CodeSystemUris.ActCode);
        json.WriteString("code"u8, classCode);
        json.WriteEndObject();
        if (encounter.Kind == GeneratedEncounterKind.Icu)
            FhirJson.CodeableConceptList(json, "type"u8, s_icuType);
        FhirJson.Reference(json, "subject"u8, FhirResourceTypes.Patient, patientId);
        json.WriteStartObject("period"u8);
        FhirJson.DateTime(json, "start"u8, encounter.Start);
        if (encounter.End is { } end)
            FhirJson.DateTime(json, "end"u8, end);
        json.WriteEndObject();
        if (encounter.Disposition is { } disposition)
        {
            json.WriteStartObject("hospitalization"u8);
            json.WriteStartObject("dischargeDisposition"u8);
            json.WriteStartArray("coding"u8);
            json.WriteStartObject();
            if (s_dispositions.Contains(disposition))
                json.WriteString("system"u8, CodeSystemUris.DischargeDisposition);
            json.WriteString("code"u8, disposition);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        if (encounter.Unit is { } icu)
        {
            json.WriteStartArray("location"u8);
            json.WriteStartObject();
            json.WriteStartObject("location"u8);
            json.WriteString("reference"u8, "Location/" + LocationId(icu));
            json.WriteString("display"u8, icu);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
        }
        if (encounter.PartOf is { } parent)
            FhirJson.Reference(json, "partOf"u8, FhirResourceTypes.Encounter, parent);
        json.WriteEndObject();
        _export.End(FhirResourceTypes.Encounter);
    }

    private void WriteLocation(string unit)
    {
        var json = _export.Begin(FhirResourceTypes.Location);
        json.WriteStartObject();
        json.WriteString("resourceType"u8, FhirResourceTypes.Location);
        json.WriteString("id"u8, LocationId(unit));
        json.WriteString("status"u8, "active");
        json.WriteString("name"u8, unit);
        json.WriteString("mode"u8, "instance");
        json.WriteEndObject();
        _export.End(FhirResourceTypes.Location);
    }

    private void WriteClinical(MedsEvent ev, DateTime time, string id, string patientId)
    {
        var parts = ev.Code.Split("//");
        if (parts.Length < 2 || !s_vocabularies.TryGetValue(parts[0], out var target))
        {
            var vocabulary = parts.Length < 2 ? ev.Code : parts[0];
            _skipped[vocabulary] = _skipped.GetValueOrDefault(vocabulary) + 1;
            return;
        }
        var code = new Coded(target.System, parts[1], ev.Code);
        var json = _export.Begin(target.Type);
        json.WriteStartObject();
        json.WriteString("resourceType"u8, target.Type);
        json.WriteString("id"u8, id);
        switch (target.Type)
        {
            case FhirResourceTypes.Condition:
                FhirJson.CodeableConceptList(json, "category"u8, s_problemList);
                FhirJson.CodeableConcept(json, "code"u8, code);
                FhirJson.Reference(json, "subject"u8, FhirResourceTypes.Patient, patientId);
                FhirJson.DateTime(json, "recordedDate"u8, time);
                break;
            case FhirResourceTypes.Observation:
                json.WriteString("status"u8, "final");
                FhirJson.CodeableConceptList(json, "category"u8, s_laboratory);
                FhirJson.CodeableConcept(json, "code"u8, code);
                FhirJson.Reference(json, "subject"u8, FhirResourceTypes.Patient, patientId);
                FhirJson.DateTime(json, "effectiveDateTime"u8, time);
                if (ev.NumericValue is { } value)
                    FhirJson.Quantity(json, "valueQuantity"u8, Math.Round(value, 4), parts.Length >= 3 ? parts[^1] : "1");
                break;
            case FhirResourceTypes.MedicationAdministration:
                json.WriteString("status"u8, "completed");
                FhirJson.CodeableConcept(json, "medicationCodeableConcept"u8, code);
                FhirJson.Reference(json, "subject"u8, FhirResourceTypes.Patient, patientId);
                FhirJson.DateTime(json, "effectiveDateTime"u8, time);
                break;
            default:
                json.WriteString("status"u8, "completed");
                FhirJson.CodeableConcept(json, "code"u8, code);
                FhirJson.Reference(json, "subject"u8, FhirResourceTypes.Patient, patientId);
                FhirJson.DateTime(json, "performedDateTime"u8, time);
                break;
        }
        json.WriteEndObject();
        _export.End(target.Type);
    }

    private static void OmbExtension(Utf8JsonWriter json, string url, string code)
    {
        json.WriteStartObject();
        json.WriteString("url"u8, url);
        json.WriteStartArray("extension"u8);
        json.WriteStartObject();
        json.WriteString("url"u8, "ombCategory");
        FhirJson.Coding(json, "valueCoding"u8, new Coded(CodeSystemUris.RaceEthnicity, code, code));
        json.WriteEndObject();
        json.WriteStartObject();
        json.WriteString("url"u8, "text");
        json.WriteString("valueString"u8, code);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    // FHIR ids are [A-Za-z0-9-.]{1,64}.
    private static string LocationId(string unit)
    {
        var id = new string([.. unit.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '-')]);
        return ("icu-" + id)[..Math.Min(64, id.Length + 4)];
    }
}
