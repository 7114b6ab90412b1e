using FhirRisk.Core;

namespace FhirRisk.Fhir.Parsing;

/// <summary>
/// The recoverable issues of one resource while it is read: each with its instance path (relative to the resource) and
/// its read-order key (the <see cref="ElementStep.Order"/>s from the resource down to the element). Issues are kept in
/// read order rather than document order, so the order does not depend on how a writer ordered the properties.
/// Allocated on the first issue only: most resources have none.
/// </summary>
internal sealed class ParseIssueLog
{
    private readonly List<PendingIssue> _issues = [];

    public int Count => _issues.Count;

    public void Add(int[] order, string path, string code, string message) => _issues.Add(new PendingIssue(order, path, code, message));

    /// <summary>Drops the issues at <paramref name="path"/> and below it, except those exactly at <paramref name="keep"/>.</summary>
    public void DiscardUnder(string path, string? keep = null) =>
        _issues.RemoveAll(issue => IsUnder(issue.Path, path) && issue.Path != keep);

    /// <summary>The issues in read order (a stable sort: one element's issues keep the order they were found in).</summary>
    public IReadOnlyList<Issue> ToIssues(FhirResourceEnvelope envelope) =>
        _issues.OrderBy(issue => issue.Order, ReadOrderComparer.Instance)
            .Select(issue => Issue.Warning(issue.Code, envelope.IssuePath(issue.Path), issue.Message))
            .ToList();

    private static bool IsUnder(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] is '.' or '[');

    private sealed record PendingIssue(int[] Order, string Path, string Code, string Message);

    /// <summary>Lexicographic order of read-order keys; an element comes before the elements inside it.</summary>
    private sealed class ReadOrderComparer : IComparer<int[]>
    {
        public static readonly ReadOrderComparer Instance = new();

        public int Compare(int[]? x, int[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
