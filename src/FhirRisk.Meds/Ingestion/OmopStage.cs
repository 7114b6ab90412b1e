using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;
using FhirRisk.Meds.Omop;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// The optional OMOP CDM export of a run: routes each parsed resource to <see cref="OmopExporter"/> with ids taken from
/// the same <see cref="FhirIndex"/> as the MEDS events, so person_id = subject_id and visit ids = encounter ids.
/// </summary>
internal sealed class OmopStage : IDisposable
{
    private readonly OmopExporter _exporter;
    private readonly FhirIndexOmopIds _ids;

    private OmopStage(OmopExporter exporter, FhirIndex index)
    {
        _exporter = exporter;
        _ids = new FhirIndexOmopIds(index);
    }

    /// <summary>Null when no OMOP folder is configured.</summary>
    public static OmopStage? Create(FhirIngestionSettings settings, FhirIndex index) => settings.OmopFolder is null
        ? null
        : new OmopStage(new OmopExporter(new OmopExporterSettings(settings.OmopFolder)
        {
            VocabularyFolder = settings.OmopVocabularyFolder,
            TimeZone = settings.Reader.TimeZone,
            ParquetOptions = settings.Writer.ParquetOptions,
        }), index);

    public void Add(FhirResource resource, FhirResourceEnvelope envelope, ICollection<Issue> issues) =>
        _exporter.Add(resource, envelope, _ids, issues);

    public void Complete() => _exporter.Complete();

    public void Dispose() => _exporter.Dispose();

    /// <summary>
    /// OMOP ids from the MEDS index: visit_occurrence is the hospital-level encounter (an ICU sub-encounter's parent),
    /// visit_detail the sub-encounter itself (DESIGN §3 ICU rule). An id is given only where its row will be written, so
    /// every person_id and visit id a row names is in the person and visit tables (the CDM's foreign keys): a person
    /// for a Patient of the input with a birth date (<see cref="PersonRows"/>), a visit for an Encounter of such a
    /// person with a date and a status that is exported (<see cref="VisitRows"/>). A sub-encounter whose parent is not
    /// exported (missing, or itself) is a visit_occurrence of its own, under its own id.
    /// </summary>
    private sealed class FhirIndexOmopIds(FhirIndex index) : IOmopIdResolver
    {
        /// <summary>Parents followed up from a sub-encounter to its stay; a longer chain makes it a visit of its own.</summary>
        private const int MaxParentSteps = 8;

        /// <summary>Each encounter's visit, decided once: it depends only on the encounter (its references are resolved
        /// where it was found), not on which resource asks.</summary>
        private readonly Dictionary<FhirEncounterInfo, (long Occurrence, long? Detail, long Person)?> _visits = new(ReferenceEqualityComparer.Instance);

        public long? PersonId(FhirReference? reference, FhirResourceEnvelope context) =>
            index.ResolveSubject(reference, context) is { } id && HasPersonRow(id) ? id : null;

        private bool HasPersonRow(long personId) => PersonRows.WritesRow(index.FindPatient(personId));

        public long? VisitOccurrenceId(FhirReference? reference, FhirResourceEnvelope context) =>
            Visit(index.ResolveEncounter(reference, context), context)?.Occurrence;

        public long? VisitDetailId(FhirReference? reference, FhirResourceEnvelope context) =>
            Visit(index.ResolveEncounter(reference, context), context)?.Detail;

        public (long Occurrence, long? Detail)? VisitOf(FhirReference? reference, FhirResourceEnvelope context, long personId) =>
            Visit(index.ResolveEncounter(reference, context), context) is { } visit && visit.Person == personId ? (visit.Occurrence, visit.Detail) : null;

        public (FhirVisitKind Kind, bool Icu)? VisitKind(FhirReference? reference, FhirResourceEnvelope context) =>
            index.ResolveEncounter(reference, context) is { } info
                ? (info.IsInpatient ? FhirVisitKind.Inpatient : info.IsEmergency ? FhirVisitKind.Emergency : FhirVisitKind.AsClassSays, info.IsIcu)
                : null;

        /// <summary>
        /// The visit_occurrence (the top exported encounter of its partOf chain, all of one person) and, for an
        /// exported sub-encounter of it, the visit_detail id, with the visit's person; null when the encounter has no
        /// visit row. A chain that returns to an encounter already on it (a cycle) or runs past
        /// <see cref="MaxParentSteps"/> has no top: the encounter is then a visit_occurrence of its own, as
        /// <see cref="VisitRows"/> writes it.
        /// </summary>
        private (long Occurrence, long? Detail, long Person)? Visit(FhirEncounterInfo? info, FhirResourceEnvelope context)
        {
            if (info is null)
                return null;
            lock (_visits)
            {
                if (_visits.TryGetValue(info, out var known))
                    return known;
            }
            (long, long?, long)? visit = null;
            if (VisitRows.WritesRow(info.Encounter) && info.SubjectId is { } person && HasPersonRow(person))
            {
                var top = info;
                var seen = new HashSet<long> { info.EncounterId };
                for (var step = 0; ; step++)
                {
                    if (index.ResolveParent(top, context) is not { } parent || parent.SubjectId != person
                        || !VisitRows.WritesRow(parent.Encounter))
                        break;
                    if (!seen.Add(parent.EncounterId) || step == MaxParentSteps)
                    {
                        top = info; // a cycle, or a chain too long to have a stay at its top
                        break;
                    }
                    top = parent;
                }
                visit = ReferenceEquals(top, info) ? (info.EncounterId, null, person) : (top.EncounterId, info.EncounterId, person);
            }
            lock (_visits)
                _visits[info] = visit;
            return visit;
        }

        public FhirMedication? Medication(FhirReference? reference, FhirResource owner, FhirResourceEnvelope context) =>
            index.ResolveMedication(reference, owner, context);

        public FhirEncounter? Encounter(FhirReference? reference, FhirResourceEnvelope context) =>
            index.ResolveEncounter(reference, context)?.Encounter;

        public FhirPatient? Patient(long personId) => index.FindPatient(personId);
    }
}
