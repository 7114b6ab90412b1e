using System.Text;
using System.Text.RegularExpressions;

namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// Renders a prefetch template (spec "Prefetch tokens"): each <c>{{context.field}}</c> is replaced by that root-level
/// primitive context field, and <c>{{userPractitionerId}}</c>, <c>{{userPractitionerRoleId}}</c>,
/// <c>{{userPatientId}}</c>, <c>{{userRelatedPersonId}}</c> by the id in <c>context.userId</c> when it names that type.
/// Values are percent-encoded. A token without a value leaves the template unrenderable (null): the data cannot be
/// fetched, which is not the same as the data being empty.
/// </summary>
internal static partial class PrefetchTemplate
{
    private static readonly Dictionary<string, string> UserTokens = new(StringComparer.Ordinal)
    {
        ["userPractitionerId"] = "Practitioner",
        ["userPractitionerRoleId"] = "PractitionerRole",
        ["userPatientId"] = "Patient",
        ["userRelatedPersonId"] = "RelatedPerson",
    };

    public static string? Render(string template, Func<string, string?> contextValue)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(contextValue);
        var output = new StringBuilder(template.Length);
        var last = 0;
        foreach (Match token in Token().Matches(template))
        {
            var value = Resolve(token.Groups[1].Value, contextValue);
            // A dot segment would name another resource than the one asked for, whatever the template ("Patient/." is a
            // search of every Patient): percent-encoding leaves dots as they are (review s24-cds L1).
            if (string.IsNullOrEmpty(value) || value is "." or "..")
                return null;
            output.Append(template, last, token.Index - last).Append(Uri.EscapeDataString(value));
            last = token.Index + token.Length;
        }
        return output.Append(template, last, template.Length - last).ToString();
    }

    private static string? Resolve(string token, Func<string, string?> contextValue)
    {
        const string ContextPrefix = "context.";
        if (token.StartsWith(ContextPrefix, StringComparison.Ordinal))
        {
            var field = token[ContextPrefix.Length..];
            return field.Contains('.', StringComparison.Ordinal) ? null : contextValue(field); // only first-level fields
        }
        if (!UserTokens.TryGetValue(token, out var resourceType))
            return null;
        var userId = contextValue("userId");
        var prefix = resourceType + "/";
        return userId is not null && userId.StartsWith(prefix, StringComparison.Ordinal) ? userId[prefix.Length..] : null;
    }

    [GeneratedRegex(@"\{\{\s*([^{}\s]+)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Token();
}
