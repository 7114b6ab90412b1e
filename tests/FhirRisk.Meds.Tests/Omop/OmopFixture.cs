using System.Text;
using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;
using FhirRisk.Meds.Omop;

namespace FhirRisk.Meds.Tests.Omop;

/// <summary>
/// A resolver that hashes <c>Type/id</c> references (as the pipeline's index does with StableHash) and knows which
/// encounters are sub-encounters of which stay; contained Medications resolve by <c>#id</c>.
/// </summary>
internal sealed class HashingIdResolver : IOmopIdResolver
{
    private readonly Dictionary<string, string> _parentOf = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FhirEncounter> _encounters = new(StringComparer.Ordinal);

    public void AddSubEncounter(string child, string parent) => _parentOf[child] = parent;

    /// <summary>Makes <paramref name="encounter"/> known by <c>Encounter/id</c>, as the pipeline's index knows every one.</summary>
    public void AddEncounter(FhirEncounter encounter) => _encounters["Encounter/" + encounter.Id] = encounter;

    public FhirEncounter? Encounter(FhirReference? reference, FhirResourceEnvelope context) =>
        reference?.Reference is { } r ? _encounters.GetValueOrDefault(r) : null;

    public static long Id(string reference) => StableHash.Of63(reference);

    public long? PersonId(FhirReference? reference, FhirResourceEnvelope context) =>
        reference?.Reference is { } r && r.StartsWith("Patient/", StringComparison.Ordinal) ? Id(r) : null;

    public long? VisitOccurrenceId(FhirReference? reference, FhirResourceEnvelope context)
    {
        if (reference?.Reference is not { } r || !r.StartsWith("Encounter/", StringComparison.Ordinal))
            return null;
        return Id(_parentOf.GetValueOrDefault(r, r));
    }

    public long? VisitDetailId(FhirReference? reference, FhirResourceEnvelope context) =>
        reference?.Reference is { } r && _parentOf.ContainsKey(r) ? Id(r) : null;

    public FhirMedication? Medication(FhirReference? reference, FhirResource owner, FhirResourceEnvelope context) =>
        owner.Contained.OfType<FhirMedication>().FirstOrDefault(m => "#" + m.Id == reference?.Reference);

    private readonly Dictionary<long, FhirPatient> _patients = [];

    /// <summary>Makes <paramref name="patient"/> known by its person_id, as the pipeline's index knows every Patient.</summary>
    public void AddPatient(FhirPatient patient) => _patients[Id("Patient/" + patient.Id)] = patient;

    public FhirPatient? Patient(long personId) => _patients.GetValueOrDefault(personId);
}

/// <summary>Hand-built resources covering every table, and a small CSV reader for assertions.</summary>
internal static class OmopFixture
{
    public const string Loinc = "http://loinc.org";
    public const string Snomed = "http://snomed.info/sct";

    public static FhirResourceEnvelope Envelope(string type, int index) =>
        new(type, "test.json", $"Bundle.entry[{index}].resource", null, "test.json#0", ReadOnlyMemory<byte>.Empty);

    public static FhirDateTime At(int year, int month, int day, int hour = 0, int minute = 0) =>
        new(new DateTime(year, month, day, hour, minute, 0), hour == 0 && minute == 0 ? FhirDatePrecision.Day : FhirDatePrecision.Minute);

    public static FhirCodeableConcept Code(string system, string code, string? display = null) => new([new FhirCoding(system, code, display)]);

    public static FhirReference Ref(string reference) => new(reference);

    public static FhirPatient Patient(string id = "p1") => new()
    {
        Id = id,
        Gender = "female",
        BirthDate = new FhirDateTime(new DateTime(1960, 4, 2), FhirDatePrecision.Day),
        DeceasedDateTime = new FhirDateTime(new DateTime(2021, 3, 1, 10, 30, 0), FhirDatePrecision.Minute),
        Extensions =
        [
            new FhirExtension("http://hl7.org/fhir/us/core/StructureDefinition/us-core-race", [new FhirCoding("urn:oid:2.16.840.1.113883.6.238", "2106-3", "White")], "White"),
            new FhirExtension("http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity", [new FhirCoding("urn:oid:2.16.840.1.113883.6.238", "2186-5", "Not Hispanic")], null),
        ],
    };

    /// <summary>Every supported type once (with a blood-pressure panel, an ICU sub-encounter and a contained Medication).</summary>
    public static IReadOnlyList<FhirResource> Resources() =>
    [
        Patient(),
        new FhirEncounter
        {
            Id = "e1", Status = "finished", Class = new FhirCoding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP"),
            Subject = Ref("Patient/p1"), Period = new FhirPeriod(At(2020, 1, 1, 8), At(2020, 1, 5, 12)),
            AdmitSource = Code("http://terminology.hl7.org/CodeSystem/admit-source", "emd"),
            DischargeDisposition = Code("http://terminology.hl7.org/CodeSystem/discharge-disposition", "home"),
        },
        new FhirEncounter
        {
            Id = "e1-icu", Status = "finished", Class = new FhirCoding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "ACUTE"),
            Types = [Code("http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-encounter-type", "MICU", "Medical Intensive Care Unit (MICU)")],
            Subject = Ref("Patient/p1"), Period = new FhirPeriod(At(2020, 1, 2, 9), At(2020, 1, 3, 18)), PartOf = Ref("Encounter/e1"),
        },
        new FhirCondition
        {
            Id = "c1", Subject = Ref("Patient/p1"), Encounter = Ref("Encounter/e1"), Code = Code(Snomed, "44054006", "Diabetes"),
            ClinicalStatus = Code("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"), Onset = At(2020, 1, 1, 9),
        },
        new FhirObservation
        {
            Id = "o-bp", Status = "final", Subject = Ref("Patient/p1"), Encounter = Ref("Encounter/e1-icu"), Code = Code(Loinc, "85354-9"),
            Categories = [Code("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs")], Effective = At(2020, 1, 2, 10, 15),
            Components =
            [
                new FhirObservationComponent(Code(Loinc, "8480-6"), new FhirValue(FhirValueKind.Quantity) { Quantity = new FhirQuantity(120, "mmHg", "http://unitsofmeasure.org", "mm[Hg]") }, null),
                new FhirObservationComponent(Code(Loinc, "8462-4"), new FhirValue(FhirValueKind.Quantity) { Quantity = new FhirQuantity(80, "mmHg", "http://unitsofmeasure.org", "mm[Hg]") }, null),
            ],
        },
        new FhirObservation
        {
            Id = "o-smoke", Status = "final", Subject = Ref("Patient/p1"), Code = Code(Loinc, "72166-2"),
            Categories = [Code("http://terminology.hl7.org/CodeSystem/observation-category", "social-history")], Effective = At(2020, 1, 1, 9),
            Value = new FhirValue(FhirValueKind.CodeableConcept) { CodeableConcept = Code(Snomed, "8517006", "Ex-smoker") },
        },
        new FhirMedicationRequest
        {
            Id = "m1", Status = "active", Intent = "order", Subject = Ref("Patient/p1"), Encounter = Ref("Encounter/e1"),
            Medication = new FhirMedicationChoice(null, Ref("#med")), Start = At(2020, 1, 1, 10), DosageText = "1 tablet, daily", Refills = 2,
            Contained = [new FhirMedication { Id = "med", Code = Code("http://www.nlm.nih.gov/research/umls/rxnorm", "860975") }],
        },
        new FhirImmunization { Id = "i1", Status = "completed", Patient = Ref("Patient/p1"), VaccineCode = Code("http://hl7.org/fhir/sid/cvx", "140"), Occurrence = At(2019, 10, 1) },
        new FhirProcedure { Id = "pr1", Status = "completed", Subject = Ref("Patient/p1"), Encounter = Ref("Encounter/e1"), Code = Code(Snomed, "73761001"), Performed = At(2020, 1, 3, 11) },
        new FhirAllergyIntolerance { Id = "a1", Patient = Ref("Patient/p1"), Code = Code(Snomed, "300916003", "Latex allergy"), Categories = ["environment"], RecordedDate = At(2018, 5, 5) },
    ];

    /// <summary>Exports <paramref name="resources"/> (each with its own envelope) and returns the issues.</summary>
    public static List<Issue> Export(OmopExporterSettings settings, IEnumerable<FhirResource> resources, HashingIdResolver? ids = null)
    {
        ids ??= new HashingIdResolver();
        ids.AddSubEncounter("Encounter/e1-icu", "Encounter/e1");
        resources = [.. resources];
        foreach (var patient in resources.OfType<FhirPatient>())
            ids.AddPatient(patient);
        var issues = new List<Issue>();
        using var exporter = new OmopExporter(settings);
        var index = 0;
        foreach (var resource in resources)
            exporter.Add(resource, Envelope(resource.ResourceType, index++), ids, issues);
        exporter.Complete();
        return issues;
    }

    /// <summary>Reads one of our CSV files: header and rows (RFC 4180 quoting; CRLF line ends).</summary>
    public static (string[] Header, List<string[]> Rows) ReadCsv(string path)
    {
        var lines = ParseRecords(File.ReadAllText(path, Encoding.UTF8));
        return (lines[0], lines.Skip(1).ToList());
    }

    /// <summary>The rows of one of our CSV files, each cell by its column name.</summary>
    public static List<Dictionary<string, string>> ReadRows(string path)
    {
        var (header, rows) = ReadCsv(path);
        return rows.Select(row => header.Zip(row).ToDictionary(cell => cell.First, cell => cell.Second, StringComparer.Ordinal)).ToList();
    }

    private static List<string[]> ParseRecords(string text)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                fields.Add(field.ToString());
                field.Clear();
                records.Add([.. fields]);
                fields.Clear();
                i++;
            }
            else field.Append(c);
        }
        return records;
    }
}
