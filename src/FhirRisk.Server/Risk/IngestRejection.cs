using System.Text;
using FhirRisk.Core;

namespace FhirRisk.Server.Risk;

/// <summary>
/// The status message of an <c>Ingest</c> whose bundle was rejected whole (a transaction with a bad entry, a body that
/// is not a Bundle): the issues POST /fhir answers in its OperationOutcome — code, instance path and message — so a
/// gRPC-only pipeline learns why without reaching the HTTP listener (ops review s11 #14). A failed call carries no
/// response message and this server sends no rich status details (docs/grpc.md), so they go in <c>grpc-message</c>.
/// The reader's and push's messages name elements, never values, so no patient data is echoed. Bounded, so the
/// trailer stays small: the first <see cref="MaxIssues"/> issues, at most <see cref="MaxCharacters"/> characters.
/// </summary>
internal static class IngestRejection
{
    public const int MaxIssues = 20;
    public const int MaxCharacters = 4000;

    public static string Message(IReadOnlyList<Issue> issues)
    {
        ArgumentNullException.ThrowIfNull(issues);
        var text = new StringBuilder("The bundle was rejected and nothing was stored");
        if (issues.Count == 0)
            return text.Append('.').ToString();
        text.Append(issues.Count == 1 ? " (1 issue): " : $" ({issues.Count} issues): ");
        var shown = 0;
        foreach (var issue in issues.Take(MaxIssues))
        {
            var line = $"{issue.Code} at {(issue.Path.Length == 0 ? "the bundle" : issue.Path)}: {issue.Message}";
            if (text.Length + line.Length + 2 > MaxCharacters)
                break;
            text.Append(shown == 0 ? "" : "; ").Append(line);
            shown++;
        }
        if (shown < issues.Count)
            text.Append($"; and {issues.Count - shown} more: POST the bundle to /fhir for the whole OperationOutcome");
        return text.Append('.').ToString();
    }
}
