using FhirRisk.Core;
using FhirRisk.Fhir;

namespace FhirRisk.Meds.Ingestion;

/// <summary>Counts for <see cref="FhirIngestionSummary"/>, filled as the passes go.</summary>
internal sealed class IngestionTally(int maxIssuesKept)
{
    private readonly Dictionary<string, long[]> _resources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _families = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _issueCodes = new(StringComparer.Ordinal);
    private readonly List<Issue> _issues = [];

    /// <summary>The row that counts resources whose <c>resourceType</c> is not an R4 type: the string itself is input
    /// text, which a summary printed to a terminal or a CI log must not repeat (review phi.md #6).</summary>
    public const string OtherResourceType = "(other type)";

    public void Resource(string resourceType, FhirParseOutcome outcome)
    {
        if (!FhirResourceTypeNames.IsR4(resourceType))
            resourceType = OtherResourceType;
        if (!_resources.TryGetValue(resourceType, out var counts))
            _resources.Add(resourceType, counts = new long[4]);
        counts[0]++;
        counts[1 + (int)outcome]++;
    }

    public void Event(string code)
    {
        // Looked up by span: one family string per family, not one substring per event.
        var end = code.IndexOf("//", StringComparison.Ordinal);
        var families = _families.GetAlternateLookup<ReadOnlySpan<char>>();
        var family = end < 0 ? code.AsSpan() : code.AsSpan(0, end);
        families[family] = families.TryGetValue(family, out var count) ? count + 1 : 1;
    }

    private static string FamilyOf(string code)
    {
        var end = code.IndexOf("//", StringComparison.Ordinal);
        return end < 0 ? code : code[..end];
    }

    /// <summary>Takes back <paramref name="count"/> counted events of <paramref name="code"/> that were not written.</summary>
    public void EventsDropped(string code, int count)
    {
        if (count == 0)
            return;
        var family = FamilyOf(code);
        var left = _families.GetValueOrDefault(family) - count;
        if (left > 0)
            _families[family] = left;
        else
            _families.Remove(family);
    }

    public void Issues(IEnumerable<Issue> issues)
    {
        foreach (var issue in issues)
            Issue(issue);
    }

    public void Issue(Issue issue)
    {
        _issueCodes[issue.Code] = _issueCodes.GetValueOrDefault(issue.Code) + 1;
        if (_issues.Count < maxIssuesKept)
            _issues.Add(issue);
    }

    public FhirIngestionSummary Summarize(long quarantined, int files, long bytesRead, int subjects, long events, TimeSpan elapsed) => new(
        Sorted(_resources, c => new FhirResourceCounts(c[0], c[1 + (int)FhirParseOutcome.Parsed], c[1 + (int)FhirParseOutcome.Skipped],
            c[1 + (int)FhirParseOutcome.Failed])),
        Sorted(_families, n => n),
        Sorted(_issueCodes, n => n),
        _issues.ToArray(),
        quarantined,
        files,
        bytesRead,
        subjects,
        events,
        elapsed);

    private static SortedDictionary<string, TOut> Sorted<TIn, TOut>(Dictionary<string, TIn> source, Func<TIn, TOut> select)
    {
        var sorted = new SortedDictionary<string, TOut>(StringComparer.Ordinal);
        foreach (var (key, value) in source)
            sorted.Add(key, select(value));
        return sorted;
    }
}
