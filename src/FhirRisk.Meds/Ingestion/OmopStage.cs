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
            ParquetOptions = settings.Writer.ParquetOptions,
        }), index);

    public void Add(FhirResource resource, FhirResourceEnvelope envelope, ICollection<Issue> issues) =>
        _exporter.Add(resource, envelope, _ids, issues);

    public void Complete() => _exporter.Complete();

    public void Dispose() => _exporter.Dispose();

    /// <summary>
    /// OMOP ids from the MEDS index: visit_occurrence is the hospital-level encounter (an ICU sub-encounter's parent),
    /// visit_detail the sub-encounter itself (DESIGN §3 ICU rule).
    /// </summary>
    private sealed class FhirIndexOmopIds(FhirIndex index) : IOmopIdResolver
    {
        public long? PersonId(FhirReference? reference, FhirResourceEnvelope context) => index.ResolveSubject(reference, context);

        public long? VisitOccurrenceId(FhirReference? reference, FhirResourceEnvelope context) =>
            index.ResolveEncounter(reference, context) is { } info ? info.ParentEncounterId ?? info.EncounterId : null;

        public long? VisitDetailId(FhirReference? reference, FhirResourceEnvelope context) =>
            index.ResolveEncounter(reference, context) is { ParentEncounterId: not null } info ? info.EncounterId : null;

        public FhirMedication? Medication(FhirReference? reference, FhirResource owner, FhirResourceEnvelope context) =>
            index.ResolveMedication(reference, owner, context);

        public FhirEncounter? Encounter(FhirReference? reference, FhirResourceEnvelope context) =>
            index.ResolveEncounter(reference, context)?.Encounter;

        public FhirPatient? Patient(long personId) => index.FindPatient(personId);
    }
}
