using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Parsing;

/// <summary>
/// Reads Patient, Encounter, Location and Condition (R4 element names; the [x] choices we keep are documented on the
/// Model records). Each <c>…Order</c> enum lists a record's elements in the order they are read (see <see cref="FhirElementReader"/>).
/// </summary>
internal static class ClinicalResourceReader
{
    private enum PatientOrder
    {
        DeceasedDateTime,
        Gender,
        BirthDate,
        DeceasedBoolean,
        Extension,
        Link,
    }

    private enum PatientLinkOrder
    {
        Other,
        Type,
    }

    private enum EncounterOrder
    {
        Hospitalization,
        Status,
        Class,
        Type,
        ServiceType,
        Subject,
        Period,
        AdmitSource,
        DischargeDisposition,
        PartOf,
        Location,
        ReasonCode,
    }

    private enum EncounterLocationOrder
    {
        Location,
        PhysicalType,
        Period,
    }

    private enum LocationOrder
    {
        Name,
        Type,
        PhysicalType,
    }

    private enum ConditionOrder
    {
        Subject,
        Encounter,
        Code,
        Category,
        ClinicalStatus,
        VerificationStatus,
        OnsetDateTime,
        OnsetInstant,
        OnsetPeriod,
        OnsetAge,
        AbatementDateTime,
        AbatementPeriod,
        RecordedDate,
    }

    public static FhirResource Patient(ref FhirElementReader r, ref ResourceElements common)
    {
        string? gender = null;
        FhirDateTime? birthDate = null, deceasedDateTime = null;
        bool? deceasedBoolean = null;
        IReadOnlyList<FhirExtension> extensions = [];
        IReadOnlyList<PatientLinkValue> links = [];
        while (r.NextProperty())
        {
            if (r.Is("link"u8, PatientOrder.Link))
                links = r.List(PatientLink);
            else if (r.Is("gender"u8, PatientOrder.Gender))
                gender = r.RepeatedString();
            else if (r.Is("birthDate"u8, PatientOrder.BirthDate))
                birthDate = r.Date();
            else if (r.Is("deceasedDateTime"u8, PatientOrder.DeceasedDateTime))
                deceasedDateTime = r.Date();
            else if (r.Is("deceasedBoolean"u8, PatientOrder.DeceasedBoolean))
                deceasedBoolean = r.Boolean();
            else if (r.Is("extension"u8, PatientOrder.Extension))
                extensions = r.List(ExtensionReader.Extension);
            else if (!common.TryRead(ref r))
                r.Skip();
        }
        if (deceasedDateTime is not null)
            r.DiscardIssues("deceasedBoolean"); // a deceasedDateTime implies true
        return new FhirPatient
        {
            Gender = gender,
            BirthDate = birthDate,
            DeceasedBoolean = deceasedDateTime is null ? deceasedBoolean : true,
            DeceasedDateTime = deceasedDateTime,
            Extensions = extensions,
            ReplacedBy = links.FirstOrDefault(l => l.Type == "replaced-by" && l.Other is not null)?.Other,
            Replaces = [.. links.Where(l => l.Type == "replaces" && l.Other is not null).Select(l => l.Other!)],
        };
    }

    private sealed record PatientLinkValue(string? Type, FhirReference? Other);

    private static PatientLinkValue? PatientLink(ref FhirElementReader r)
    {
        if (!r.Object())
            return null;
        string? type = null;
        FhirReference? other = null;
        while (r.NextProperty())
        {
            if (r.Is("other"u8, PatientLinkOrder.Other))
                other = r.Reference();
            else if (r.Is("type"u8, PatientLinkOrder.Type))
                type = r.RepeatedString();
            else
                r.Skip();
        }
        return new PatientLinkValue(type, other);
    }

    public static FhirResource Encounter(ref FhirElementReader r, ref ResourceElements common)
    {
        string? status = null;
        FhirCoding? encounterClass = null;
        FhirCodeableConcept? serviceType = null, admitSource = null, dischargeDisposition = null;
        IReadOnlyList<FhirCodeableConcept> types = [], reasonCodes = [];
        FhirReference? subject = null, partOf = null;
        FhirPeriod? period = null;
        IReadOnlyList<FhirEncounterLocation> locations = [];
        while (r.NextProperty())
        {
            if (r.Is("status"u8, EncounterOrder.Status))
                status = r.RepeatedString();
            else if (r.Is("class"u8, EncounterOrder.Class))
                encounterClass = r.Coding();
            else if (r.Is("type"u8, EncounterOrder.Type))
                types = r.Concepts();
            else if (r.Is("serviceType"u8, EncounterOrder.ServiceType))
                serviceType = r.Concept();
            else if (r.Is("subject"u8, EncounterOrder.Subject))
                subject = r.Reference();
            else if (r.Is("period"u8, EncounterOrder.Period))
                period = r.Period();
            else if (r.Is("hospitalization"u8, EncounterOrder.Hospitalization))
                (admitSource, dischargeDisposition) = Hospitalization(ref r);
            else if (r.Is("partOf"u8, EncounterOrder.PartOf))
                partOf = r.Reference();
            else if (r.Is("location"u8, EncounterOrder.Location))
                locations = r.List(EncounterLocation);
            else if (r.Is("reasonCode"u8, EncounterOrder.ReasonCode))
                reasonCodes = r.Concepts();
            else if (!common.TryRead(ref r))
                r.Skip();
        }
        return new FhirEncounter
        {
            Status = status,
            Class = encounterClass,
            Types = types,
            ServiceType = serviceType,
            Subject = subject,
            Period = period,
            AdmitSource = admitSource,
            DischargeDisposition = dischargeDisposition,
            PartOf = partOf,
            Locations = locations,
            ReasonCodes = reasonCodes,
        };
    }

    private static (FhirCodeableConcept? AdmitSource, FhirCodeableConcept? DischargeDisposition) Hospitalization(ref FhirElementReader r)
    {
        FhirCodeableConcept? admitSource = null, dischargeDisposition = null;
        if (!r.InlineObject())
            return (null, null);
        while (r.NextProperty())
        {
            if (r.Is("admitSource"u8, EncounterOrder.AdmitSource))
                admitSource = r.Concept();
            else if (r.Is("dischargeDisposition"u8, EncounterOrder.DischargeDisposition))
                dischargeDisposition = r.Concept();
            else
                r.Skip();
        }
        return (admitSource, dischargeDisposition);
    }

    private static FhirEncounterLocation? EncounterLocation(ref FhirElementReader r)
    {
        if (!r.Object())
            return null;
        FhirReference? location = null;
        FhirCodeableConcept? physicalType = null;
        FhirPeriod? period = null;
        while (r.NextProperty())
        {
            if (r.Is("location"u8, EncounterLocationOrder.Location))
                location = r.Reference();
            else if (r.Is("physicalType"u8, EncounterLocationOrder.PhysicalType))
                physicalType = r.Concept();
            else if (r.Is("period"u8, EncounterLocationOrder.Period))
                period = r.Period();
            else
                r.Skip();
        }
        if (location is not null)
            return new FhirEncounterLocation(location, physicalType, period);
        r.DiscardIssuesExcept("location"); // an entry without a location is dropped unread
        return null;
    }

    public static FhirResource Location(ref FhirElementReader r, ref ResourceElements common)
    {
        string? name = null;
        IReadOnlyList<FhirCodeableConcept> types = [];
        FhirCodeableConcept? physicalType = null;
        while (r.NextProperty())
        {
            if (r.Is("name"u8, LocationOrder.Name))
                name = r.String();
            else if (r.Is("type"u8, LocationOrder.Type))
                types = r.Concepts();
            else if (r.Is("physicalType"u8, LocationOrder.PhysicalType))
                physicalType = r.Concept();
            else if (!common.TryRead(ref r))
                r.Skip();
        }
        return new FhirLocation { Name = name, Types = types, PhysicalType = physicalType };
    }

    public static FhirResource Condition(ref FhirElementReader r, ref ResourceElements common)
    {
        FhirReference? subject = null, encounter = null;
        FhirCodeableConcept? code = null, clinicalStatus = null, verificationStatus = null;
        IReadOnlyList<FhirCodeableConcept> categories = [];
        var onset = new DateTimeChoice(DateTimeChoiceNames.Onset, (int)ConditionOrder.OnsetDateTime);
        FhirDateTime? abatementDateTime = null, recordedDate = null;
        FhirPeriod? abatementPeriod = null;
        while (r.NextProperty())
        {
            if (r.Is("subject"u8, ConditionOrder.Subject))
                subject = r.Reference();
            else if (r.Is("encounter"u8, ConditionOrder.Encounter))
                encounter = r.Reference();
            else if (r.Is("code"u8, ConditionOrder.Code))
                code = r.Concept();
            else if (r.Is("category"u8, ConditionOrder.Category))
                categories = r.Concepts();
            else if (r.Is("clinicalStatus"u8, ConditionOrder.ClinicalStatus))
                clinicalStatus = r.Concept();
            else if (r.Is("verificationStatus"u8, ConditionOrder.VerificationStatus))
                verificationStatus = r.Concept();
            else if (r.Is("abatementDateTime"u8, ConditionOrder.AbatementDateTime))
                abatementDateTime = r.Date();
            else if (r.Is("abatementPeriod"u8, ConditionOrder.AbatementPeriod))
                abatementPeriod = r.Period();
            else if (r.Is("recordedDate"u8, ConditionOrder.RecordedDate))
                recordedDate = r.Date();
            else if (!onset.TryRead(ref r) && !common.TryRead(ref r))
                r.Skip();
        }
        if (abatementDateTime is not null)
            r.DiscardIssues("abatementPeriod"); // read only without an abatementDateTime
        return new FhirCondition
        {
            Subject = subject,
            Encounter = encounter,
            Code = code,
            Categories = categories,
            ClinicalStatus = clinicalStatus,
            VerificationStatus = verificationStatus,
            Onset = onset.Resolve(ref r).Start,
            OnsetAge = onset.Age,
            Abatement = abatementDateTime ?? abatementPeriod?.End,
            RecordedDate = recordedDate,
        };
    }
}
