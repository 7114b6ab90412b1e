using System.Text;
using System.Text.Json;
using FhirRisk.Core;

namespace FhirRisk.Fhir;

/// <summary>
/// Writes issues as a FHIR R4 OperationOutcome (https://hl7.org/fhir/R4/operationoutcome.html), the edge form of our
/// issues (STYLE 7). Each issue carries its stable code in <c>details.coding</c> (system <see cref="CodeSystem"/>), the
/// message as <c>diagnostics</c> and its path as <c>expression</c>; <c>code</c> comes from the IssueType value set.
/// R4 requires at least one issue, so an empty list yields one "informational" issue saying so.
/// </summary>
public static class OperationOutcomeWriter
{
    public const string CodeSystem = "urn:fhirrisk:issue-code";

    /// <param name="issueType">The IssueType of a code the FHIR reader does not define (a surface's own, such as an
    /// authentication failure's <c>login</c>); null, or a null answer, falls back to <see cref="FhirIssueCodes.IssueType"/>.</param>
    public static string ToJson(IEnumerable<Issue> issues, Func<string, string?>? issueType = null)
    {
        ArgumentNullException.ThrowIfNull(issues);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
            Write(json, issues, issueType);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The OperationOutcome as the next value of <paramref name="json"/> (e.g. inside a response Bundle).</summary>
    public static void Write(Utf8JsonWriter json, IEnumerable<Issue> issues, Func<string, string?>? issueType = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(issues);
        json.WriteStartObject();
        json.WriteString("resourceType", "OperationOutcome");
        json.WriteStartArray("issue");
        var any = false;
        foreach (var issue in issues)
        {
            WriteIssue(json, issue, issueType);
            any = true;
        }
        if (!any)
            WriteEmpty(json);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteIssue(Utf8JsonWriter json, Issue issue, Func<string, string?>? issueType)
    {
        json.WriteStartObject();
        json.WriteString("severity", Severity(issue.Severity));
        json.WriteString("code", issueType?.Invoke(issue.Code) ?? FhirIssueCodes.IssueType(issue.Code));
        json.WriteStartObject("details");
        json.WriteStartArray("coding");
        json.WriteStartObject();
        json.WriteString("system", CodeSystem);
        json.WriteString("code", issue.Code);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        if (issue.Message.Length > 0)
            json.WriteString("diagnostics", issue.Message);
        if (issue.Path.Length > 0)
        {
            json.WriteStartArray("expression");
            json.WriteStringValue(issue.Path);
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    private static void WriteEmpty(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("severity", "information");
        json.WriteString("code", "informational");
        json.WriteString("diagnostics", "no issues");
        json.WriteEndObject();
    }

    private static string Severity(IssueSeverity severity) => severity switch
    {
        IssueSeverity.Error => "error",
        IssueSeverity.Warning => "warning",
        _ => "information",
    };
}
