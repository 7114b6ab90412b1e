namespace FhirRisk.Meds.Omop;

/// <summary>
/// Holds the rows of one visit table until the end of the export, then fills each row's preceding-visit column with
/// the same person's previous visit (by start datetime, ties by end datetime — an emergency visit that turns into an
/// admission at the same second precedes it — then by visit id) and writes the rows in input order.
/// </summary>
/// <remarks>
/// A visit's predecessor can arrive after it (NDJSON exports and bundles are in no time order), so it is known only
/// once every visit has been seen. Buffering the rows is the simplest way to get there: visits are a small share of
/// the rows (173 Encounters against 1,387 Observations, before components, in the saved Synthea bundles), and a held
/// row costs about half a kilobyte (482 bytes a visit over 100,000 visits, against 468 when visits streamed with
/// Parquet on: the Parquet writer holds each row of its pending row group anyway). Spooling rows to disk and rewriting
/// them would need a typed spool format for one column. Only the column is added: rows keep the order they arrived in.
/// </remarks>
internal sealed class PrecedingVisitLinker
{
    private readonly OmopTableSchema _table;
    private readonly string _idColumn;
    private readonly string _precedingColumn;
    private readonly List<Visit> _visits = [];

    private PrecedingVisitLinker(OmopTableSchema table, string idColumn, string prefix, string precedingColumn)
    {
        _table = table;
        _idColumn = idColumn;
        Prefix = prefix;
        _precedingColumn = precedingColumn;
    }

    /// <summary>The table's visit column prefix: <c>visit</c> or <c>visit_detail</c> (<c>&lt;prefix&gt;_start_datetime</c>, …).</summary>
    public string Prefix { get; }

    /// <summary>The rows held, in the order they were added; their dates may still change until <see cref="WriteLinked"/>.</summary>
    public IEnumerable<OmopRow> Rows => _visits.Select(v => v.Row);

    public static PrecedingVisitLinker ForOccurrences() =>
        new(OmopTables.VisitOccurrence, "visit_occurrence_id", "visit", "preceding_visit_occurrence_id");

    public static PrecedingVisitLinker ForDetails() =>
        new(OmopTables.VisitDetail, "visit_detail_id", "visit_detail", "preceding_visit_detail_id");

    /// <summary>Keeps a complete row (person, id, start and end set) until <see cref="WriteLinked"/>.</summary>
    public void Add(OmopRow row)
    {
        if (row.Table != _table)
            throw new ArgumentException($"Row of '{row.Table.Name}' given to the '{_table.Name}' linker.", nameof(row));
        _visits.Add(new Visit((long)row["person_id"]!, (long)row[_idColumn]!, row));
    }

    /// <summary>Links each visit to its predecessor and writes every row, in the order they were added.</summary>
    public void WriteLinked(OmopTableSink sink)
    {
        Visit? previous = null;
        foreach (var visit in _visits.OrderBy(v => v.PersonId).ThenBy(v => (DateTime)v.Row[Prefix + "_start_datetime"]!)
                     .ThenBy(v => (DateTime)v.Row[Prefix + "_end_datetime"]!).ThenBy(v => v.Id))
        {
            if (previous is { } before && before.PersonId == visit.PersonId)
                visit.Row[_precedingColumn] = before.Id;
            previous = visit;
        }
        foreach (var visit in _visits)
            sink.Write(visit.Row);
        _visits.Clear();
    }

    private readonly record struct Visit(long PersonId, long Id, OmopRow Row);
}
