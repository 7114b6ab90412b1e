using System.Text.Json;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
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
/// unit's Location), <c>ED_REGISTRATION</c> … <c>ED_OUT</c> (EMER), <c>VISIT//class</c>. An encounter open at the
/// patient's death ends at the death (a hospital stay with disposition <c>exp</c>); one still open at the end of the
/// timeline is <c>in-progress</c>. Encounter events FHIR cannot carry as generated are counted in
/// <see cref="Changes"/> (<see cref="EncounterTracker"/>).</item>
/// <item>Condition (ICD-10-CM, ICD-9-CM, SNOMED CT) as an active problem-list item recorded at the event's time;
/// Observation (LOINC, with the decoded value and the code's unit; category vital-signs for the vital-sign codes of
/// the simulator's measurement catalog and of the R4 vital-signs profile, else laboratory); MedicationAdministration
/// (RxNorm, NDC); Procedure (ICD-10-PCS, CPT).</item>
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
    private static readonly Coded s_vitalSigns = new(CodeSystemUris.ObservationCategory, "vital-signs", "Vital Signs");
    private static readonly Coded s_active = new(CodeSystemUris.ConditionClinical, "active", "Active");
    private static readonly Coded s_icuType = new(CodeSystemUris.Snomed, "305351004", "Admission to intensive care unit (procedure)");
    // The vital signs of the simulator's catalog, and the other codes the R4 vital-signs profile names
    // (http://hl7.org/fhir/R4/observation-vitalsigns.html: height, weight, BMI, head circumference, SpO2 2708-6).
    private static readonly HashSet<string> s_vitalSignCodes =
    [
        .. Labs.Vitals.Append(Labs.SystolicPressure).Append(Labs.DiastolicPressure).Where(m => m.Category == s_vitalSigns.Code).Select(m => m.Code.Code),
        "8302-2", "29463-7", "39156-5", "9843-4", "2708-6",
    ];

    // v3 ActEncounterCode, the R4 binding of Encounter.class.
    private static readonly string[] s_actEncounterCodes = ["AMB", "EMER", "FLD", "HH", "IMP", "ACUTE", "NONAC", "OBSENC", "PRENC", "SS", "VR"];
    private static readonly string[] s_dispositions = ["home", "alt-home", "other-hcf", "hosp", "long", "aadvice", "exp", "psy", "rehab", "snf", "oth"];

    /// <summary>Where a generated class or disposition that is not an HL7 code is written: the MEDS code's suffix as is.</summary>
    public const string LocalEncounterClass = "urn:fhirrisk:meds:encounter-class";

    /// <inheritdoc cref="LocalEncounterClass"/>
    public const string LocalDischargeDisposition = "urn:fhirrisk:meds:discharge-disposition";

    private readonly BulkNdjsonWriter _export;
    private readonly HashSet<string> _locations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _skipped = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _changes = new(StringComparer.Ordinal);

    private readonly TimeZoneInfo _zone;
    private readonly IReadOnlyDictionary<string, string> _names;

    /// <param name="folder">The bulk-export folder to write.</param>
    /// <param name="zone">The site time zone the model's data was read in (<c>fitted_on.site_time_zone</c>; UTC when
    /// null): a birth date is written as that zone's day of the birth instant, the day ingestion in that zone read it
    /// from.</param>
    /// <param name="names">Names of codes (the model's tokenizer's, <c>codes.tsv</c>): a coding's <c>display</c>, where the
    /// code has one; else the display is the MEDS code.</param>
    public GeneratedFhirWriter(string folder, TimeZoneInfo? zone = null, IReadOnlyDictionary<string, string>? names = null)
    {
        _zone = zone ?? TimeZoneInfo.Utc;
        _names = names ?? new Dictionary<string, string>();
        Directory.CreateDirectory(folder);
        _export = new BulkNdjsonWriter(folder, ResourceTypes);
    }

    /// <summary>Resources written per type.</summary>
    public IReadOnlyList<(string Type, long Count)> Counts => _export.Counts;

    /// <summary>Events not written, by vocabulary.</summary>
    public IReadOnlyDictionary<string, long> Skipped => _skipped;

    /// <summary>Encounter events that do not come back from FHIR as generated, per <see cref="FhirChange"/> reason.</summary>
    public IReadOnlyDictionary<string, long> Changes => _changes;

    /// <summary>What ingestion of the output will read differently, code by code: dropped, added, rewritten (from → to).</summary>
    internal List<(string? From, string? To)> CodeChanges { get; } = [];

    public void Write(GeneratedPatient patient)
    {
        var id = "syn-" + patient.SubjectId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        WritePatient(id, patient.Events);
        var encounters = new EncounterTracker(id);
        var n = 0;
        var deathDischarges = 0;
        // The first death is the Patient's deceasedDateTime (a later one is dropped and counted below). What is open
        // then is closed once the events of the death's instant are taken, so a discharge written beside the death
        // still closes its stay itself.
        var deathSeen = false;
        DateTime? pendingDeath = null;
        foreach (var ev in patient.Events)
        {
            if (pendingDeath is { } died && ev.Time > died)
            {
                encounters.Die(died);
                pendingDeath = null;
            }
            if (ev.Code == MedsSchema.DeathCode && !deathSeen)
            {
                deathSeen = true;
                pendingDeath = ev.Time;
            }
            if (ev.Time is not { } time || ev.Code == MedsSchema.BirthCode || ev.Code == MedsSchema.DeathCode)
                continue;
            if (encounters.Take(ev.Code, time) is { } closed)
            {
                WriteEncounter(closed, id);
                deathDischarges += closed.Disposition is { } d && TaskCodes.Death.Contains(TaskCodes.HospitalDischarge + "//" + d) ? 1 : 0;
            }
            else if (!EncounterTracker.IsEncounterCode(ev.Code))
            {
                WriteClinical(ev, time, $"{id}-{n++}", id);
            }
        }
        if (pendingDeath is { } last)
            encounters.Die(last);
        foreach (var open in encounters.Open())
            WriteEncounter(open, id);
        Count(encounters.Dropped.Select(d => (d.Reason, (string?)d.Code, (string?)null)));
        Count(encounters.Added.Select(a => (a.Reason, (string?)null, (string?)a.Code)));
        Count(encounters.Rewritten.Select(r => (r.Reason, (string?)r.From, (string?)r.To)));
        Count(CategoryChanges(patient.Events));
        var deaths = patient.Events.Count(e => e.Code == MedsSchema.DeathCode);
        if (deaths > 1)
            Count(Enumerable.Repeat((ExtraDeath, (string?)MedsSchema.DeathCode, (string?)null), deaths - 1));
        // Ingestion keeps one death per subject (SubjectDeaths): the earliest discharge to death gives it.
        if (deaths == 0 && deathDischarges > 0)
            Count([(DeathFromDisposition, null, MedsSchema.DeathCode)]);
    }

    /// <summary>What ingestion will not read back of a patient's sex, race and ethnicity values (<see cref="OmbExtension"/>):
    /// a sex written in words comes back as its letter;
    /// values that are not OMB categories beside ones that are (only the text keeps them), and several values none of
    /// which is (read back as their joined text).</summary>
    private static IEnumerable<(string Reason, string? From, string? To)> CategoryChanges(IReadOnlyList<MedsEvent> events)
    {
        if (StaticGender(events) is { } gender
            && "GENDER//" + char.ToUpperInvariant(AdministrativeGender(gender)[0]) is var read && read != gender)
            yield return (GenderRewritten, gender, read);
        foreach (var prefix in new[] { "RACE//", "ETHNICITY//" })
        {
            var values = CategoryValues(events, prefix);
            var others = values.Where(v => !OmbCategories(prefix).Contains(v)).ToArray();
            if (others.Length == values.Length && others.Length > 1)
            {
                foreach (var value in others)
                    yield return (NonOmbJoined, prefix + value, null);
                yield return (NonOmbJoined, null, prefix + string.Join(", ", values));
            }
            else if (others.Length < values.Length)
            {
                foreach (var value in others)
                    yield return (NonOmbBesideOmb, prefix + value, null);
            }
        }
    }

    /// <summary>The R4 administrative gender a <c>GENDER//…</c> code names, by its whole value (a MIMIC-style
    /// <c>GENDER//FEMALE</c> as well as <c>GENDER//F</c>).</summary>
    private static string AdministrativeGender(string code) => code["GENDER//".Length..].ToUpperInvariant() switch
    {
        "F" or "FEMALE" => "female",
        "M" or "MALE" => "male",
        "O" or "OTHER" => "other",
        _ => "unknown",
    };

    /// <summary>The patient's first static <c>GENDER//…</c> code, the one the Patient's gender is written from.</summary>
    private static string? StaticGender(IReadOnlyList<MedsEvent> events) =>
        events.FirstOrDefault(e => e.Time is null && e.Code.StartsWith("GENDER//", StringComparison.Ordinal)).Code;

    private const string GenderRewritten = "a sex written in words (GENDER//FEMALE): ingestion reads the R4 gender back as its letter";

    private const string NonOmbJoined = "several race or ethnicity values, none an OMB category: read back as their joined text";
    private const string NonOmbBesideOmb = "a race or ethnicity value that is not an OMB category beside one that is: kept only in the extension's text";

    private const string ExtraDeath = "MEDS_DEATH after the first (Patient.deceasedDateTime holds one): dropped";
    private const string DeathFromDisposition = "discharge to death with no MEDS_DEATH: ingestion adds MEDS_DEATH at the discharge";

    private void Count(IEnumerable<(string Reason, string? From, string? To)> changes)
    {
        foreach (var (reason, from, to) in changes)
        {
            _changes[reason] = _changes.GetValueOrDefault(reason) + 1;
            CodeChanges.Add((from, to));
        }
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
        var (races, ethnicities) = (CategoryValues(events, "RACE//"), CategoryValues(events, "ETHNICITY//"));
        if (races.Length + ethnicities.Length > 0)
        {
            json.WriteStartArray("extension"u8);
            if (races.Length > 0)
                OmbExtension(json, CodeSystemUris.UsCoreRace, races, s_ombRaces);
            if (ethnicities.Length > 0)
                OmbExtension(json, CodeSystemUris.UsCoreEthnicity, ethnicities, s_ombEthnicities);
            json.WriteEndArray();
        }
        if (StaticGender(events) is { } gender)
            json.WriteString("gender"u8, AdministrativeGender(gender));
        if (events.FirstOrDefault(e => e.Code == MedsSchema.BirthCode).Time is { } birth)
            FhirJson.Date(json, "birthDate"u8, TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(birth, DateTimeKind.Utc), _zone));
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
            GeneratedEncounterKind.Inpatient or GeneratedEncounterKind.Icu => encounter.Class ?? "IMP",
            GeneratedEncounterKind.Emergency => "EMER",
            _ => encounter.Class ?? "AMB",
        };
        json.WriteStartObject("class"u8);
        json.WriteString("system"u8, s_actEncounterCodes.Contains(classCode) ? CodeSystemUris.ActCode : LocalEncounterClass);
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
            json.WriteString("system"u8, s_dispositions.Contains(disposition) ? CodeSystemUris.DischargeDisposition : LocalDischargeDisposition);
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
        var code = new Coded(target.System, parts[1], Meds.FhirMapping.CodeDescriptions.Lookup(_names, ev.Code) ?? ev.Code);
        var json = _export.Begin(target.Type);
        json.WriteStartObject();
        json.WriteString("resourceType"u8, target.Type);
        json.WriteString("id"u8, id);
        switch (target.Type)
        {
            case FhirResourceTypes.Condition:
                FhirJson.CodeableConcept(json, "clinicalStatus"u8, s_active);
                FhirJson.CodeableConceptList(json, "category"u8, s_problemList);
                FhirJson.CodeableConcept(json, "code"u8, code);
                FhirJson.Reference(json, "subject"u8, FhirResourceTypes.Patient, patientId);
                FhirJson.DateTime(json, "recordedDate"u8, time);
                break;
            case FhirResourceTypes.Observation:
                json.WriteString("status"u8, "final");
                // R4 holds a vital-signs Observation to its profile, which wants a value (or a dataAbsentReason): one
                // generated without a value keeps its unit as a laboratory Observation (review s16-eval #3).
                FhirJson.CodeableConceptList(json, "category"u8, ev.NumericValue is not null && s_vitalSignCodes.Contains(parts[1]) ? s_vitalSigns : s_laboratory);
                FhirJson.CodeableConcept(json, "code"u8, code);
                FhirJson.Reference(json, "subject"u8, FhirResourceTypes.Patient, patientId);
                FhirJson.DateTime(json, "effectiveDateTime"u8, time);
                ObservationValue(json, ev.NumericValue, parts.Length >= 3 ? parts[^1] : null);
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

    /// <summary>
    /// The value and the unit the MEDS code carries (<c>LOINC//code//unit</c>), so ingestion rebuilds the same code: a
    /// Quantity with only a unit when there is no value (R4 Quantity allows it; without it the unit would be lost), only
    /// a value when the code has no unit, nothing when it has neither.
    /// </summary>
    private static void ObservationValue(Utf8JsonWriter json, float? value, string? unit)
    {
        if (value is null && unit is null)
            return;
        json.WriteStartObject("valueQuantity"u8);
        if (value is { } v)
            json.WriteNumber("value"u8, Math.Round(v, 4));
        if (unit is not null)
        {
            json.WriteString("unit"u8, unit);
            json.WriteString("system"u8, CodeSystemUris.Ucum);
            json.WriteString("code"u8, unit);
        }
        json.WriteEndObject();
    }

    /// <summary>The OMB race categories (CDC Race &amp; Ethnicity codes) US Core binds the race <c>ombCategory</c> to.</summary>
    private static readonly HashSet<string> s_ombRaces = ["1002-5", "2028-9", "2054-5", "2076-8", "2106-3"];

    /// <summary>The OMB ethnicity categories US Core binds the ethnicity <c>ombCategory</c> to.</summary>
    private static readonly HashSet<string> s_ombEthnicities = ["2135-2", "2186-5"];

    private static HashSet<string> OmbCategories(string prefix) => prefix == "RACE//" ? s_ombRaces : s_ombEthnicities;

    /// <summary>The distinct values of a patient's static <paramref name="prefix"/> rows (<c>RACE//</c>, <c>ETHNICITY//</c>):
    /// what the extension writes and what <see cref="CategoryChanges"/> accounts for.</summary>
    private static string[] CategoryValues(IReadOnlyList<MedsEvent> events, string prefix) =>
        [.. events.Where(e => e.Time is null && e.Code.StartsWith(prefix, StringComparison.Ordinal)).Select(e => e.Code[prefix.Length..]).Distinct()];

    /// <summary>
    /// One US Core race or ethnicity extension (0..1 each): the values that are OMB categories as <c>ombCategory</c>
    /// codings, and all of them as its required <c>text</c>. Ingestion reads the codings when there are any, else the
    /// text, so values that are not OMB codes (a MIMIC-style <c>RACE//WHITE</c>) come back from the text when they stand
    /// alone.
    /// </summary>
    private static void OmbExtension(Utf8JsonWriter json, string url, IReadOnlyList<string> values, HashSet<string> categories)
    {
        json.WriteStartObject();
        json.WriteString("url"u8, url);
        json.WriteStartArray("extension"u8);
        foreach (var code in values.Where(categories.Contains))
        {
            json.WriteStartObject();
            json.WriteString("url"u8, "ombCategory");
            FhirJson.Coding(json, "valueCoding"u8, new Coded(CodeSystemUris.RaceEthnicity, code, code));
            json.WriteEndObject();
        }
        json.WriteStartObject();
        json.WriteString("url"u8, "text");
        json.WriteString("valueString"u8, string.Join(", ", values));
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
