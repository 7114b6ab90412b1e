using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.Omop;

/// <summary>Patient → person (+ death) (standards §3.2 "Patient"; race/ethnicity from the US Core extensions).</summary>
internal static class PersonRows
{
    private const string RaceExtension = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
    private const string EthnicityExtension = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity";

    /// <summary>
    /// Whether a Patient gets a person row: it has a birth date (year_of_birth is NOT NULL). The resolver gives person
    /// ids only for these, so no other row names a person the person table lacks.
    /// </summary>
    public static bool WritesRow(FhirPatient? patient) => patient?.BirthDate is not null && !IsReplaced(patient);

    /// <summary>A chart merged into another (<c>link</c> replaced-by a different Patient): its person is the survivor's.</summary>
    private static bool IsReplaced(FhirPatient patient) =>
        FhirMapping.ReferenceTarget.Parse(patient.ReplacedBy?.Reference) is { Type: "Patient", Id: { } survivor } && survivor != patient.Id;

    public static void Add(FhirPatient patient, OmopSource source)
    {
        // A chart merged into another gives no person row of its own: its events go to the survivor's person (the
        // resolver follows the merge), whose row comes from the surviving Patient, as the MEDS mapping does.
        if (IsReplaced(patient))
        {
            source.Inform(OmopIssueCodes.StatusDropped, "link", $"Patient replaced by {patient.ReplacedBy!.Reference} (link replaced-by); no person row of its own.");
            return;
        }
        if (patient.BirthDate is not { } birth)
        {
            // year_of_birth is NOT NULL in the DDL: without it there is no valid person row, and no row of this patient.
            source.Warn(OmopIssueCodes.NoDate, "birthDate", "Patient has no birthDate; person.year_of_birth is NOT NULL, so no person row and no OMOP row of this patient.");
            return;
        }
        var personId = source.Ids.PersonId(source.SelfReference(), source.Envelope);
        if (personId is null)
        {
            source.Warn(OmopIssueCodes.NoResourceId, "id", "Patient has no id the resolver knows; no person row.");
            return;
        }
        var sink = source.State.Sink(OmopTables.Person);
        if (!source.State.FirstTime(OmopTables.Person, personId.Value))
        {
            source.Inform(OmopIssueCodes.DuplicateId, "id", "A person row for this Patient was already written; the first is kept.");
            return;
        }
        var row = sink.NewRow();
        row["person_id"] = personId.Value;
        row["gender_concept_id"] = OmopConcepts.Gender(patient.Gender);
        SetBirth(row, birth);
        var race = Category(patient, RaceExtension);
        var ethnicity = Category(patient, EthnicityExtension);
        row["race_concept_id"] = OmopConcepts.Race(race?.Code);
        row["ethnicity_concept_id"] = OmopConcepts.Ethnicity(ethnicity?.Code);
        row["person_source_value"] = patient.Id ?? source.Envelope.FullUrl;
        row["gender_source_value"] = patient.Gender;
        row["race_source_value"] = race?.Code ?? race?.Display;
        row["ethnicity_source_value"] = ethnicity?.Code ?? ethnicity?.Display;
        sink.Write(row);
        if (patient.DeceasedDateTime is { } died)
            source.State.Deaths.RecordDeath(personId.Value, died, fromPatient: true);
    }

    private static void SetBirth(OmopRow row, FhirDateTime birth)
    {
        var born = birth.FirstDay; // the day as written, also when read in a site time zone
        row["year_of_birth"] = (long)born.Year;
        row["month_of_birth"] = birth.Precision >= FhirDatePrecision.Month ? (long)born.Month : null;
        row["day_of_birth"] = birth.Precision >= FhirDatePrecision.Day ? (long)born.Day : null;
        row["birth_datetime"] = birth.Precision >= FhirDatePrecision.Day ? birth.FirstDay.ToDateTime(TimeOnly.MinValue) : null;
    }

    /// <summary>The OMB category coding of a US Core race/ethnicity extension (its first coding with a code).</summary>
    private static FhirCoding? Category(FhirPatient patient, string url)
    {
        var extension = patient.Extensions.FirstOrDefault(e => e.Url == url);
        if (extension is null)
            return null;
        return extension.ValueCodings.FirstOrDefault(c => !string.IsNullOrEmpty(c.Code))
            ?? (extension.ValueText is null ? null : new FhirCoding(null, null, extension.ValueText));
    }
}
