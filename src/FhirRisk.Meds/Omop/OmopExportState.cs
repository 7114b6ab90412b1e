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
        Zone = settings.TimeZone;
    }

    /// <summary>The site time zone whose days and wall clock the date and datetime columns hold.</summary>
    public TimeZoneInfo Zone { get; }

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
        CoverDetails();
        VisitOccurrences.WriteLinked(Sink(OmopTables.VisitOccurrence));
        VisitDetails.WriteLinked(Sink(OmopTables.VisitDetail));
        // Only persons with a person row get a death or an observation period (the CDM's foreign keys); the resolver
        // already gives no other person id, this holds for any resolver. A death is an event of the period: analyses
        // count only what lies inside one, so a death after the last charted event would vanish from them.
        var persons = _written.GetValueOrDefault(OmopTables.Person.Name) ?? [];
        Deaths.Write(Sink(OmopTables.Death), persons, Observe, Zone);
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

    /// <summary>
    /// Widens each visit_occurrence to cover its visit_details: an emergency leg recorded as a sub-encounter of the
    /// admission it led to (MIMIC-IV) starts before the admission, and OHDSI's convention is one visit spanning both legs,
    /// "Emergency Room and Inpatient Visit" (262) when an inpatient visit holds an emergency leg, or an emergency visit an
    /// admission recorded as its sub-encounter. Visit-anchored analyses
    /// ("during the visit") then see the emergency department's readings.
    /// </summary>
    private void CoverDetails()
    {
        var occurrences = VisitOccurrences.Rows.ToDictionary(r => (long)r["visit_occurrence_id"]!);
        foreach (var detail in VisitDetails.Rows)
        {
            if (detail["visit_occurrence_id"] is not long parent || !occurrences.TryGetValue(parent, out var visit))
                continue;
            if ((DateTime)detail["visit_detail_start_datetime"]! < (DateTime)visit["visit_start_datetime"]!)
            {
                visit["visit_start_date"] = detail["visit_detail_start_date"];
                visit["visit_start_datetime"] = detail["visit_detail_start_datetime"];
            }
            if ((DateTime)detail["visit_detail_end_datetime"]! > (DateTime)visit["visit_end_datetime"]!)
            {
                visit["visit_end_date"] = detail["visit_detail_end_date"];
                visit["visit_end_datetime"] = detail["visit_detail_end_datetime"];
            }
            if ((visit["visit_concept_id"], detail["visit_detail_concept_id"]) is (OmopConcepts.InpatientVisit, OmopConcepts.EmergencyRoomVisit)
                or (OmopConcepts.EmergencyRoomVisit, OmopConcepts.InpatientVisit))
                visit["visit_concept_id"] = OmopConcepts.EmergencyRoomAndInpatientVisit;
        }
    }

    public void Dispose()
    {
        foreach (var sink in Sinks.Values)
            sink.Dispose();
    }
}
