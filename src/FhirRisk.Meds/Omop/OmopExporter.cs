using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// Exports FHIR resources to OMOP CDM v5.4 tables (docs/formats/omop.md). Call <see cref="Add"/> for each parsed
/// resource in input order, then <see cref="Complete"/>; rows stream to <c>&lt;table&gt;.csv</c> / <c>&lt;table&gt;.parquet</c>
/// as they are made (a table buffers at most one Parquet row group), except visit rows, which wait for
/// <see cref="Complete"/> to learn their preceding visit. Same input in the same order ⇒ byte-identical files.
/// Not thread-safe.
/// </summary>
public sealed class OmopExporter : IDisposable
{
    private readonly OmopExportState _state;
    private bool _completed;

    public OmopExporter(OmopExporterSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.WriteCsv && !settings.WriteParquet)
            throw new ArgumentException("Choose CSV, Parquet or both.", nameof(settings));
        Settings = settings;
        var vocabulary = settings.Vocabulary
            ?? (settings.VocabularyFolder is null ? null : AthenaVocabulary.Load(settings.VocabularyFolder));
        _state = new OmopExportState(settings, vocabulary);
    }

    public OmopExporterSettings Settings { get; }

    /// <summary>
    /// Rows written so far, by table name (visit_occurrence, visit_detail, death and observation_period are written by
    /// <see cref="Complete"/>).
    /// </summary>
    public IReadOnlyDictionary<string, long> RowCounts => _state.Sinks.ToDictionary(s => s.Key, s => s.Value.RowCount, StringComparer.Ordinal);

    /// <summary>
    /// Routes one resource to its rows. Problems become issues in <paramref name="issues"/> (codes in
    /// <see cref="OmopIssueCodes"/>); types without an OMOP table (Location, Medication…) add nothing; a DiagnosticReport adds the result Observations it
    /// contains.
    /// </summary>
    public void Add(FhirResource resource, FhirResourceEnvelope envelope, IOmopIdResolver ids, ICollection<Issue> issues)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(issues);
        ObjectDisposedException.ThrowIf(_completed, this);
        var source = new OmopSource(resource, envelope, ids, issues, _state);
        switch (resource)
        {
            case FhirPatient patient: PersonRows.Add(patient, source); break;
            case FhirEncounter encounter: VisitRows.Add(encounter, source); break;
            case FhirCondition condition: ConditionProcedureRows.AddCondition(condition, source); break;
            case FhirProcedure procedure: ConditionProcedureRows.AddProcedure(procedure, source); break;
            case FhirMedicationEvent medication: DrugRows.AddMedication(medication, source); break;
            case FhirImmunization immunization: DrugRows.AddImmunization(immunization, source); break;
            case FhirObservation observation: ObservationRows.AddObservation(observation, source); break;
            case FhirAllergyIntolerance allergy: ObservationRows.AddAllergy(allergy, source); break;
            case FhirDiagnosticReport report: AddContainedResults(report, envelope, ids, issues); break;
            default: break;
        }
    }

    /// <summary>The result Observations a report holds in <c>contained</c> are rows as if they stood alone (the report
    /// itself has no table).</summary>
    private void AddContainedResults(FhirDiagnosticReport report, FhirResourceEnvelope envelope, IOmopIdResolver ids, ICollection<Issue> issues)
    {
        if (FhirMapping.StatusRules.Drops(FhirMapping.StatusRules.DiagnosticReport, report.Status))
            return;
        foreach (var result in FhirMapping.ContainedResults.Of(report, envelope).Results)
            ObservationRows.AddObservation(result.Observation, new OmopSource(result.Observation, result.Envelope, ids, issues, _state));
    }

    /// <summary>
    /// Writes the end-of-export tables (visit_occurrence and visit_detail with their preceding visits, death,
    /// observation_period) and closes every file (empty tables get a header / schema).
    /// </summary>
    public void Complete()
    {
        if (_completed)
            return;
        _completed = true;
        _state.Complete();
    }

    /// <summary>Closes the files without the end-of-export tables when <see cref="Complete"/> was not called (e.g. after a failure).</summary>
    public void Dispose()
    {
        if (_completed)
            return;
        _completed = true;
        _state.Dispose();
    }
}
