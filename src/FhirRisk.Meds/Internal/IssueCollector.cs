using System.Globalization;
using FhirRisk.Core;

namespace FhirRisk.Meds.Internal;

/// <summary>
/// Collects issues in the order found, keeping at most a fixed number per code so that a broken million-row shard
/// yields a readable report; what was dropped is counted in one MEDS099 issue per code.
/// </summary>
internal sealed class IssueCollector
{
    private readonly int _maxPerCode;
    private readonly List<Issue> _issues = [];
    private readonly Dictionary<string, int> _countByCode = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Code, IssueSeverity Severity), int> _totals = [];

    public IssueCollector(int maxPerCode) => _maxPerCode = Math.Max(1, maxPerCode);

    public void Add(Issue issue)
    {
        var count = _countByCode.GetValueOrDefault(issue.Code) + 1;
        _countByCode[issue.Code] = count;
        _totals[(issue.Code, issue.Severity)] = _totals.GetValueOrDefault((issue.Code, issue.Severity)) + 1;
        if (count <= _maxPerCode)
            _issues.Add(issue);
    }

    public void AddRange(IEnumerable<Issue> issues)
    {
        foreach (var issue in issues)
            Add(issue);
    }

    /// <summary>Issues found per code and severity, including omitted ones, ordered by code.</summary>
    public IReadOnlyList<MedsIssueCount> Totals() =>
        _totals.OrderBy(t => t.Key.Code, StringComparer.Ordinal).ThenBy(t => t.Key.Severity)
            .Select(t => new MedsIssueCount(t.Key.Code, t.Key.Severity, t.Value)).ToArray();

    public IReadOnlyList<Issue> Finish()
    {
        foreach (var (code, count) in _countByCode.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            if (count > _maxPerCode)
                _issues.Add(new Issue(MedsIssueCodes.IssuesOmitted, IssueSeverity.Information, code,
                    string.Create(CultureInfo.InvariantCulture, $"{count - _maxPerCode} more {code} issues omitted ({count} in total).")));
        }
        return _issues;
    }
}
