using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// Encounter → visit_occurrence, or visit_detail for a sub-encounter (<c>partOf</c> set, e.g. MIMIC's ICU stays inside a
/// hospital admission; standards §3.2 "Encounter"). Rows wait in <see cref="PrecedingVisitLinker"/> for their preceding
/// visit until the export completes. An "expired" discharge disposition also records a death.
/// </summary>
internal static class VisitRows
{
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
        var self = source.SelfReference();
        if (self is null)
        {
            source.Warn(OmopIssueCodes.NoResourceId, "id", "Encounter has neither id nor urn fullUrl; no visit row.");
            return;
        }
        var parentVisit = encounter.PartOf is null ? null : source.Ids.VisitOccurrenceId(encounter.PartOf, source.Envelope);
        if (encounter.PartOf is not null && parentVisit is null)
            source.Warn(OmopIssueCodes.UnresolvedParentVisit, "partOf", "partOf does not resolve; exported as a visit_occurrence.");
        var written = parentVisit is null
            ? AddOccurrence(encounter, source, self, personId.Value, start.Value, end)
            : AddDetail(encounter, source, self, personId.Value, start.Value, end, parentVisit.Value);
        if (written && FhirMapping.FhirIndex.IsDeathDisposition(encounter.DischargeDisposition))
            source.State.Deaths.RecordDeath(personId.Value, end, fromPatient: false);
    }

    private static bool AddOccurrence(FhirEncounter encounter, OmopSource source, FhirReference self, long personId, FhirDateTime start, FhirDateTime end)
    {
        var visitId = source.Ids.VisitOccurrenceId(self, source.Envelope);
        if (visitId is null)
        {
            source.Warn(OmopIssueCodes.NoResourceId, "id", "The resolver has no visit id for this Encounter; no visit row.");
            return false;
        }
        if (!source.State.FirstTime(OmopTables.VisitOccurrence, visitId.Value))
        {
            source.Inform(OmopIssueCodes.DuplicateId, "id", "A visit_occurrence row for this Encounter was already written; the first is kept.");
            return false;
        }
        var row = source.State.Sink(OmopTables.VisitOccurrence).NewRow();
        row["visit_occurrence_id"] = visitId.Value;
        Fill(row, "visit", encounter, source, personId, start, end);
        row["visit_concept_id"] = OmopConcepts.VisitClass(encounter.Class?.Code);
        source.State.VisitOccurrences.Add(row);
        return true;
    }

    private static bool AddDetail(FhirEncounter encounter, OmopSource source, FhirReference self, long personId, FhirDateTime start, FhirDateTime end, long visitOccurrenceId)
    {
        // The resolver knows ICU sub-encounters; for any other partOf child we derive a stable id from its reference.
        var detailId = source.Ids.VisitDetailId(self, source.Envelope)
            ?? Core.StableHash.Of63($"{source.Envelope.Scope}|{self.Reference}");
        if (!source.State.FirstTime(OmopTables.VisitDetail, detailId))
        {
            source.Inform(OmopIssueCodes.DuplicateId, "id", "A visit_detail row for this Encounter was already written; the first is kept.");
            return false;
        }
        var row = source.State.Sink(OmopTables.VisitDetail).NewRow();
        row["visit_detail_id"] = detailId;
        Fill(row, "visit_detail", encounter, source, personId, start, end);
        row["visit_detail_concept_id"] = LooksLikeIcu(encounter) ? OmopConcepts.IntensiveCare : OmopConcepts.VisitClass(encounter.Class?.Code);
        row["visit_occurrence_id"] = visitOccurrenceId;
        source.State.VisitDetails.Add(row);
        return true;
    }

    /// <summary>The columns visit_occurrence and visit_detail share (named with the table's prefix).</summary>
    private static void Fill(OmopRow row, string prefix, FhirEncounter encounter, OmopSource source, long personId, FhirDateTime start, FhirDateTime end)
    {
        row["person_id"] = personId;
        OmopTime.SetStart(row, prefix + "_start", start, source.State, personId);
        OmopTime.SetEnd(row, prefix + "_end", end, source.State, personId);
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

    /// <summary>ICU when the class, a type, the service type or a location's physical type names intensive care.</summary>
    private static bool LooksLikeIcu(FhirEncounter encounter)
    {
        IEnumerable<FhirCodeableConcept?> concepts =
            [.. encounter.Types, encounter.ServiceType, .. encounter.Locations.Select(l => l.PhysicalType)];
        var texts = concepts.Where(c => c is not null)
            .SelectMany(c => c!.Codings.SelectMany(x => new[] { x.Code, x.Display }).Append(c.Text))
            .Append(encounter.Class?.Code).Append(encounter.Class?.Display)
            .Concat(encounter.Profiles);
        return texts.Any(t => t is not null &&
            (t.Contains("ICU", StringComparison.Ordinal) || t.Contains("intensive care", StringComparison.OrdinalIgnoreCase)));
    }

    private static string? Code(FhirCodeableConcept? concept) =>
        concept?.Codings.FirstOrDefault(c => !string.IsNullOrEmpty(c.Code))?.Code ?? concept?.Text;
}
