using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// Encounter → visit_occurrence, or visit_detail for a sub-encounter (<c>partOf</c> set, e.g. MIMIC's ICU stays inside a
/// hospital admission; standards §3.2 "Encounter"). Rows wait in <see cref="PrecedingVisitLinker"/> for their preceding
/// visit until the export completes. An "expired" discharge disposition also records a death.
/// </summary>
internal static class VisitRows
{
    /// <summary>
    /// Whether an Encounter of a person with a person row gets a visit row: its status is exported and it has a date
    /// (visit_start_date is NOT NULL). The resolver gives visit ids only for these, so no row names a visit the visit
    /// tables lack.
    /// </summary>
    public static bool WritesRow(FhirEncounter encounter) =>
        !FhirMapping.StatusRules.Drops(FhirMapping.StatusRules.Encounter, encounter.Status)
        && (encounter.Period?.Start ?? encounter.Period?.End) is not null;

    public static void Add(FhirEncounter encounter, OmopSource source)
    {
        if (source.DroppedByStatus(encounter.Status, "status", FhirMapping.StatusRules.Encounter))
            return;
        var personId = source.PersonId(encounter.Subject, "subject");
        if (personId is null)
            return;
        var start = encounter.Period?.Start ?? encounter.Period?.End;
        if (start is null)
        {
            source.Warn(OmopIssueCodes.NoDate, "period", "Encounter has no period; visit start date is NOT NULL, no row.");
            return;
        }
        // ETL convention (standards §3.1): the end date is mandatory; without period.end we use the start.
        var end = encounter.Period?.End ?? start.Value;
        if (end.UtcEndIfDay < start.Value.Utc) // an end by date ends with its day
        {
            source.Warn(OmopIssueCodes.EndBeforeStart, "period.end", "Encounter ends before it starts; the visit ends at its start.");
            end = start.Value;
        }
        var self = source.SelfReference();
        if (self is null)
        {
            source.Warn(OmopIssueCodes.NoResourceId, "id", "Encounter has neither id nor urn fullUrl; no visit row.");
            return;
        }
        // The resolver says where the visit goes: a sub-encounter of an exported visit is a visit_detail of it; any
        // other Encounter — one whose partOf names no exported visit, or itself, included — a visit_occurrence.
        var visitId = source.Ids.VisitOccurrenceId(self, source.Envelope);
        var detailId = encounter.PartOf is null ? null : source.Ids.VisitDetailId(self, source.Envelope);
        if (visitId is null)
        {
            source.Warn(OmopIssueCodes.NoResourceId, "id", "The resolver has no visit id for this Encounter; no visit row.");
            return;
        }
        if (encounter.PartOf is not null && detailId is null)
            source.Warn(OmopIssueCodes.UnresolvedParentVisit, "partOf", "partOf names no exported visit (missing, not exported, or this Encounter itself); exported as a visit_occurrence.");
        var kind = source.Ids.VisitKind(self, source.Envelope);
        var written = detailId is null
            ? AddOccurrence(encounter, source, kind, visitId.Value, personId.Value, start.Value, end)
            : AddDetail(encounter, source, kind, detailId.Value, personId.Value, start.Value, end, visitId.Value);
        if (written && FhirMapping.FhirIndex.IsDeathDisposition(encounter.DischargeDisposition))
            source.State.Deaths.RecordDeath(personId.Value, end, fromPatient: false);
    }

    private static bool AddOccurrence(FhirEncounter encounter, OmopSource source, (FhirVisitKind Kind, bool Icu)? kind, long visitId, long personId, FhirDateTime start, FhirDateTime end)
    {
        if (!source.State.FirstTime(OmopTables.VisitOccurrence, visitId))
        {
            source.Inform(OmopIssueCodes.DuplicateId, "id", "A visit_occurrence row for this Encounter was already written; the first is kept.");
            return false;
        }
        var row = source.State.Sink(OmopTables.VisitOccurrence).NewRow();
        row["visit_occurrence_id"] = visitId;
        Fill(row, "visit", encounter, source, personId, start, end);
        row["visit_concept_id"] = kind?.Kind switch
        {
            FhirVisitKind.Inpatient => OmopConcepts.InpatientVisit,
            FhirVisitKind.Emergency => OmopConcepts.EmergencyRoomVisit,
            _ => OmopConcepts.VisitClass(encounter.Class?.Code),
        };
        source.State.VisitOccurrences.Add(row);
        return true;
    }

    private static bool AddDetail(FhirEncounter encounter, OmopSource source, (FhirVisitKind Kind, bool Icu)? kind, long detailId, long personId, FhirDateTime start, FhirDateTime end, long visitOccurrenceId)
    {
        if (!source.State.FirstTime(OmopTables.VisitDetail, detailId))
        {
            source.Inform(OmopIssueCodes.DuplicateId, "id", "A visit_detail row for this Encounter was already written; the first is kept.");
            return false;
        }
        var row = source.State.Sink(OmopTables.VisitDetail).NewRow();
        row["visit_detail_id"] = detailId;
        Fill(row, "visit_detail", encounter, source, personId, start, end);
        row["visit_detail_concept_id"] = kind?.Icu == true || LooksLikeIcu(encounter) ? OmopConcepts.IntensiveCare : OmopConcepts.VisitClass(encounter.Class?.Code);
        row["visit_occurrence_id"] = visitOccurrenceId;
        // A detail of a detail (an ICU stay inside a ward leg of the stay) names the detail it is part of.
        row["parent_visit_detail_id"] = encounter.PartOf is { } parent ? source.Ids.VisitDetailId(parent, source.Envelope) : null;
        source.State.VisitDetails.Add(row);
        return true;
    }

    /// <summary>The columns visit_occurrence and visit_detail share (named with the table's prefix).</summary>
    private static void Fill(OmopRow row, string prefix, FhirEncounter encounter, OmopSource source, long personId, FhirDateTime start, FhirDateTime end)
    {
        row["person_id"] = personId;
        OmopTime.SetStart(row, prefix + "_start", start, source.State, personId);
        OmopTime.SetEnd(row, prefix + "_end", end, start, source.State, personId);
        row[prefix + "_type_concept_id"] = OmopConcepts.TypeEhrEncounterRecord;
        // The IG maps class.code to the source value; MIMIC's ICU stays carry the unit in type/location instead.
        row[prefix + "_source_value"] = encounter.Class?.Code ?? encounter.Class?.Display ?? encounter.Id;
        var admit = Code(encounter.AdmitSource);
        row["admitted_from_source_value"] = admit;
        row["admitted_from_concept_id"] = admit is null ? null : OmopConcepts.AdmittedFrom(admit);
        var discharge = Code(encounter.DischargeDisposition);
        row["discharged_to_source_value"] = discharge;
        row["discharged_to_concept_id"] = discharge is null ? null : OmopConcepts.DischargedTo(discharge);
    }

    /// <summary>
    /// ICU by what the encounter itself says, as the MEDS mapping reads it (class, type, service type, MIMIC-IV's ICU
    /// identifier or profile), or a location's physical type; the resolver adds what its locations' names say.
    /// </summary>
    private static bool LooksLikeIcu(FhirEncounter encounter) =>
        FhirMapping.EncounterClassifier.SaysIcu(encounter) || encounter.Locations.Any(l => FhirMapping.EncounterClassifier.IsIcuConcept(l.PhysicalType));

    private static string? Code(FhirCodeableConcept? concept) =>
        concept?.Codings.FirstOrDefault(c => !string.IsNullOrEmpty(c.Code))?.Code ?? concept?.Text;
}
