using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// What the row builders share for one export: the table sinks, the concept mapper, per-table row sequences, the
/// ids already written (duplicates are reported, not written twice), deaths and each person's observed date range.
/// </summary>
internal sealed class OmopExportState : IDisposable
{
    private readonly Dictionary<string, long> _sequences = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<long>> _written = new(StringComparer.Ordinal);
    private readonly Dictionary<long, (DateOnly First, DateOnly Last)> _periods = [];
    private readonly Dictionary<long, OmopDeath> _deaths = [];

    public OmopExportState(OmopExporterSettings settings, AthenaVocabulary? vocabulary)
    {
        Directory.CreateDirectory(settings.OutputFolder);
        Sinks = OmopTables.All.ToDictionary(t => t.Name, t => new OmopTableSink(t, settings), StringComparer.Ordinal);
        Concepts = new OmopConceptMapper(vocabulary);
    }

    public IReadOnlyDictionary<string, OmopTableSink> Sinks { get; }

    public OmopConceptMapper Concepts { get; }

    public OmopTableSink Sink(OmopTableSchema table) => Sinks[table.Name];

    /// <summary>The next row id of a table: 1, 2, … in input order, so a re-run over the same input gives the same ids.</summary>
    public long NextId(OmopTableSchema table)
    {
        var next = _sequences.GetValueOrDefault(table.Name) + 1;
        _sequences[table.Name] = next;
        return next;
    }

    /// <summary>False when <paramref name="id"/> was already written to <paramref name="table"/>.</summary>
    public bool FirstTime(OmopTableSchema table, long id)
    {
        if (!_written.TryGetValue(table.Name, out var ids))
            _written[table.Name] = ids = [];
        return ids.Add(id);
    }

    /// <summary>Widens the person's observation period to cover <paramref name="date"/>.</summary>
    public void Observe(long personId, DateOnly date)
    {
        if (_periods.TryGetValue(personId, out var period))
            _periods[personId] = (date < period.First ? date : period.First, date > period.Last ? date : period.Last);
        else
            _periods[personId] = (date, date);
    }

    /// <summary>
    /// Records a death. Patient.deceasedDateTime wins over an "expired" discharge; among discharges the earliest wins, so
    /// the row does not depend on input order.
    /// </summary>
    public void RecordDeath(long personId, FhirDateTime when, bool fromPatient)
    {
        var candidate = new OmopDeath(when, fromPatient);
        if (!_deaths.TryGetValue(personId, out var existing) || candidate.IsPreferredOver(existing))
            _deaths[personId] = candidate;
    }

    /// <summary>Writes death and observation_period (sorted by person_id for byte-identical re-runs), then closes every file.</summary>
    public void Complete()
    {
        var death = Sink(OmopTables.Death);
        foreach (var (personId, record) in _deaths.OrderBy(d => d.Key))
        {
            var row = death.NewRow();
            row["person_id"] = personId;
            // Unknown day/month ⇒ last day of the month / December 31 (standards §3.1 death), which is UtcEnd's date.
            row["death_date"] = DateOnly.FromDateTime(record.When.UtcEnd);
            row["death_datetime"] = record.When.HasTime ? record.When.Utc : null;
            row["death_type_concept_id"] = OmopConcepts.TypeEhr;
            death.Write(row);
        }
        var periods = Sink(OmopTables.ObservationPeriod);
        foreach (var (personId, (first, last)) in _periods.OrderBy(p => p.Key))
        {
            var row = periods.NewRow();
            row["observation_period_id"] = NextId(OmopTables.ObservationPeriod);
            row["person_id"] = personId;
            row["observation_period_start_date"] = first;
            row["observation_period_end_date"] = last;
            row["period_type_concept_id"] = OmopConcepts.TypeObservationPeriod;
            periods.Write(row);
        }
        Dispose();
    }

    public void Dispose()
    {
        foreach (var sink in Sinks.Values)
            sink.Dispose();
    }

    private readonly record struct OmopDeath(FhirDateTime When, bool FromPatient)
    {
        public bool IsPreferredOver(OmopDeath other) =>
            FromPatient != other.FromPatient ? FromPatient : When.Utc < other.When.Utc;
    }
}
