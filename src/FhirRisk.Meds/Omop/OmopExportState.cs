using FhirRisk.Core;
namespace FhirRisk.Meds.Omop;

/// <summary>
/// What the row builders share for one export: the table sinks, the concept mapper, per-table row sequences, the
/// ids already written (duplicates are reported, not written twice), the visit rows waiting for their preceding
/// visit, deaths and their causes, and each person's observed date range.
/// </summary>
internal sealed class OmopExportState : IDisposable
{
    private readonly Dictionary<string, long> _sequences = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<long>> _written = new(StringComparer.Ordinal);
    private readonly Dictionary<long, (DateOnly First, DateOnly Last)> _periods = [];

    public OmopExportState(OmopExporterSettings settings, AthenaVocabulary? vocabulary)
    {
        OwnerOnlyFiles.CreateFolder(settings.OutputFolder); // person-level tables: owner-only, like the FHIR input
        Sinks = OmopTables.All.ToDictionary(t => t.Name, t => new OmopTableSink(t, settings), StringComparer.Ordinal);
        Concepts = new OmopConceptMapper(vocabulary);
    }

    public IReadOnlyDictionary<string, OmopTableSink> Sinks { get; }

    public OmopConceptMapper Concepts { get; }

    /// <summary>visit_occurrence rows, written by <see cref="Complete"/> once their preceding visits are known.</summary>
    public PrecedingVisitLinker VisitOccurrences { get; } = PrecedingVisitLinker.ForOccurrences();

    /// <summary>visit_detail rows, written by <see cref="Complete"/> once their preceding visit details are known.</summary>
    public PrecedingVisitLinker VisitDetails { get; } = PrecedingVisitLinker.ForDetails();

    public OmopDeaths Deaths { get; } = new();

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
    /// Writes the visit tables (now linked to their preceding visits), death and observation_period (both sorted by
    /// person_id for byte-identical re-runs), then closes every file.
    /// </summary>
    public void Complete()
    {
        VisitOccurrences.WriteLinked(Sink(OmopTables.VisitOccurrence));
        VisitDetails.WriteLinked(Sink(OmopTables.VisitDetail));
        // Only persons with a person row get a death or an observation period (the CDM's foreign keys); the resolver
        // already gives no other person id, this holds for any resolver. A death is an event of the period: analyses
        // count only what lies inside one, so a death after the last charted event would vanish from them.
        var persons = _written.GetValueOrDefault(OmopTables.Person.Name) ?? [];
        Deaths.Write(Sink(OmopTables.Death), persons, Observe);
        var periods = Sink(OmopTables.ObservationPeriod);
        foreach (var (personId, (first, last)) in _periods.Where(p => persons.Contains(p.Key)).OrderBy(p => p.Key))
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
}
