using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.Omop;

/// <summary>Where a cause of death was stated; the earlier member wins when a person has several.</summary>
internal enum OmopDeathCauseSource
{
    /// <summary>An Observation LOINC 69453-9 "Cause of death [US Standard Certificate of Death]": its coded value.</summary>
    Certificate,

    /// <summary>A Condition categorised SNOMED 16100001 "Death diagnosis": its code.</summary>
    DeathDiagnosis,
}

/// <summary>
/// The deaths of an export and their causes, collected while resources stream in and written as the death table by
/// <see cref="Write"/> (one row per person, sorted by person_id). Every choice between candidates is made on their
/// content, never on arrival order, so re-runs over reordered input give the same rows.
/// </summary>
internal sealed class OmopDeaths
{
    private readonly Dictionary<long, Death> _deaths = [];
    private readonly Dictionary<long, Cause> _causes = [];

    /// <summary>
    /// Records a death. Patient.deceasedDateTime wins over an "expired" discharge; among discharges the earliest wins.
    /// </summary>
    public void RecordDeath(long personId, FhirDateTime when, bool fromPatient)
    {
        var candidate = new Death(when, fromPatient);
        if (!_deaths.TryGetValue(personId, out var existing) || candidate.IsPreferredOver(existing))
            _deaths[personId] = candidate;
    }

    /// <summary>
    /// Records a stated cause of death. A certificate wins over a death diagnosis; among the same source the earliest
    /// statement wins, then the smaller source value. A cause with neither code nor text is ignored. A cause only fills
    /// the row of a recorded death: without deceasedDateTime or an expired discharge there is no death date (NOT NULL).
    /// </summary>
    public void RecordCause(long personId, OmopCode cause, FhirDateTime when, OmopDeathCauseSource stated)
    {
        if (cause.SourceValue is null)
            return;
        var candidate = new Cause(cause, when, stated);
        if (!_causes.TryGetValue(personId, out var existing) || candidate.IsPreferredOver(existing))
            _causes[personId] = candidate;
    }

    /// <summary>Writes the deaths of <paramref name="persons"/> (the others have no person row) and tells
    /// <paramref name="observe"/> each death date.</summary>
    public void Write(OmopTableSink death, IReadOnlySet<long> persons, Action<long, DateOnly> observe, TimeZoneInfo zone)
    {
        foreach (var (personId, record) in _deaths.Where(d => persons.Contains(d.Key)).OrderBy(d => d.Key))
        {
            var row = death.NewRow();
            row["person_id"] = personId;
            // Unknown day/month ⇒ last day of the month / December 31 (standards §3.1 death), which is UtcEnd's date.
            var day = OmopTime.EndDate(record.When, zone);
            row["death_date"] = day;
            observe(personId, day);
            row["death_datetime"] = record.When.HasTime ? OmopTime.StartDateTime(record.When, zone) : null;
            row["death_type_concept_id"] = OmopConcepts.TypeEhr;
            if (_causes.TryGetValue(personId, out var cause))
            {
                row["cause_concept_id"] = cause.Code.ConceptId;
                row["cause_source_value"] = cause.Code.SourceValue;
                row["cause_source_concept_id"] = cause.Code.SourceConceptId;
            }
            death.Write(row);
        }
    }

    private readonly record struct Death(FhirDateTime When, bool FromPatient)
    {
        public bool IsPreferredOver(Death other) =>
            FromPatient != other.FromPatient ? FromPatient : When.Utc < other.When.Utc;
    }

    private readonly record struct Cause(OmopCode Code, FhirDateTime When, OmopDeathCauseSource Stated)
    {
        public bool IsPreferredOver(Cause other)
        {
            if (Stated != other.Stated)
                return Stated < other.Stated;
            if (When.Utc != other.When.Utc)
                return When.Utc < other.When.Utc;
            var bySource = string.CompareOrdinal(Code.SourceValue, other.Code.SourceValue);
            return bySource != 0 ? bySource < 0 : Code.SourceConceptId < other.Code.SourceConceptId;
        }
    }
}
