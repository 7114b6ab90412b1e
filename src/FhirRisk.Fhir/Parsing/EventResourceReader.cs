using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Parsing;

/// <summary>
/// Reads Procedure, Immunization and AllergyIntolerance. Each <c>…Order</c> enum lists a record's elements in the order
/// they are read (see <see cref="FhirElementReader"/>).
/// </summary>
internal static class EventResourceReader
{
    private enum ProcedureOrder
    {
        PerformedDateTime,
        PerformedInstant,
        PerformedPeriod,
        PerformedAge,
        Status,
        Subject,
        Encounter,
        Code,
    }

    private enum ImmunizationOrder
    {
        OccurrenceString,
        Status,
        Patient,
        Encounter,
        VaccineCode,
        OccurrenceDateTime,
        Recorded,
        LotNumber,
    }

    private enum AllergyOrder
    {
        Patient,
        Encounter,
        Code,
        ClinicalStatus,
        VerificationStatus,
        Category,
        OnsetDateTime,
        OnsetInstant,
        OnsetPeriod,
        OnsetAge,
        RecordedDate,
    }

    public static FhirResource Procedure(ref FhirElementReader r, ref ResourceElements common)
    {
        string? status = null;
        FhirReference? subject = null, encounter = null;
        FhirCodeableConcept? code = null;
        var performed = new DateTimeChoice(DateTimeChoiceNames.Performed, (int)ProcedureOrder.PerformedDateTime);
        while (r.NextProperty())
        {
            if (r.Is("status"u8, ProcedureOrder.Status))
                status = r.RepeatedString();
            else if (r.Is("subject"u8, ProcedureOrder.Subject))
                subject = r.Reference();
            else if (r.Is("encounter"u8, ProcedureOrder.Encounter))
                encounter = r.Reference();
            else if (r.Is("code"u8, ProcedureOrder.Code))
                code = r.Concept();
            else if (!performed.TryRead(ref r) && !common.TryRead(ref r))
                r.Skip();
        }
        var (start, end) = performed.Resolve(ref r);
        return new FhirProcedure { Status = status, Subject = subject, Encounter = encounter, Code = code, Performed = start, PerformedEnd = end, PerformedAge = performed.Age };
    }

    public static FhirResource Immunization(ref FhirElementReader r, ref ResourceElements common)
    {
        string? status = null;
        FhirReference? patient = null, encounter = null;
        FhirCodeableConcept? vaccineCode = null;
        FhirDateTime? occurrence = null, recorded = null;
        string? lotNumber = null;
        while (r.NextProperty())
        {
            if (r.Is("lotNumber"u8, ImmunizationOrder.LotNumber))
                lotNumber = r.String();
            else if (r.Is("status"u8, ImmunizationOrder.Status))
                status = r.RepeatedString();
            else if (r.Is("patient"u8, ImmunizationOrder.Patient))
                patient = r.Reference();
            else if (r.Is("encounter"u8, ImmunizationOrder.Encounter))
                encounter = r.Reference();
            else if (r.Is("vaccineCode"u8, ImmunizationOrder.VaccineCode))
                vaccineCode = r.Concept();
            else if (r.Is("occurrenceDateTime"u8, ImmunizationOrder.OccurrenceDateTime))
                occurrence = r.Date();
            else if (r.Is("recorded"u8, ImmunizationOrder.Recorded))
                recorded = r.Date();
            else if (r.Is("occurrenceString"u8, ImmunizationOrder.OccurrenceString))
                OccurrenceString(ref r);
            else if (!common.TryRead(ref r))
                r.Skip();
        }
        return new FhirImmunization
        {
            Status = status,
            Patient = patient,
            Encounter = encounter,
            VaccineCode = vaccineCode,
            Occurrence = occurrence,
            Recorded = recorded,
            LotNumber = lotNumber,
        };
    }

    // occurrenceString ("last spring") cannot be placed on a timeline: the resource is kept, its time is not.
    private static void OccurrenceString(ref FhirElementReader r)
    {
        if (r.String() is not null)
            r.Report(FhirIssueCodes.OccurrenceString, "free-text occurrence has no time");
    }

    public static FhirResource AllergyIntolerance(ref FhirElementReader r, ref ResourceElements common)
    {
        FhirReference? patient = null, encounter = null;
        FhirCodeableConcept? code = null, clinicalStatus = null, verificationStatus = null;
        IReadOnlyList<string> categories = [];
        var onset = new DateTimeChoice(DateTimeChoiceNames.Onset, (int)AllergyOrder.OnsetDateTime);
        FhirDateTime? recordedDate = null;
        while (r.NextProperty())
        {
            if (r.Is("patient"u8, AllergyOrder.Patient))
                patient = r.Reference();
            else if (r.Is("encounter"u8, AllergyOrder.Encounter))
                encounter = r.Reference();
            else if (r.Is("code"u8, AllergyOrder.Code))
                code = r.Concept();
            else if (r.Is("clinicalStatus"u8, AllergyOrder.ClinicalStatus))
                clinicalStatus = r.Concept();
            else if (r.Is("verificationStatus"u8, AllergyOrder.VerificationStatus))
                verificationStatus = r.Concept();
            else if (r.Is("category"u8, AllergyOrder.Category))
                categories = r.Strings();
            else if (r.Is("recordedDate"u8, AllergyOrder.RecordedDate))
                recordedDate = r.Date();
            else if (!onset.TryRead(ref r) && !common.TryRead(ref r))
                r.Skip();
        }
        return new FhirAllergyIntolerance
        {
            Patient = patient,
            Encounter = encounter,
            Code = code,
            ClinicalStatus = clinicalStatus,
            VerificationStatus = verificationStatus,
            Categories = categories,
            Onset = onset.Resolve(ref r).Start,
            OnsetAge = onset.Age,
            RecordedDate = recordedDate,
        };
    }
}
