using System.Globalization;
using System.Text;
using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Server.Timeline;

namespace FhirRisk.Server.FhirPush;

/// <summary>
/// Writes the transaction-response / batch-response Bundle (FHIR R4 §3.1.0.11 "Transaction Processing Rules"): one
/// entry per request entry, in order, with <c>response.status</c>, <c>location</c> (<c>Type/id/_history/version</c>),
/// <c>etag</c> and, when there is something to say, an OperationOutcome in <c>response.outcome</c>.
/// </summary>
internal static class PushResponseWriter
{
    public static string ResponseBundle(string type, IReadOnlyList<EntryOutcome> outcomes)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("resourceType", "Bundle");
            json.WriteString("type", type);
            json.WriteStartArray("entry");
            foreach (var outcome in outcomes)
                WriteEntry(json, outcome);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteEntry(Utf8JsonWriter json, EntryOutcome outcome)
    {
        json.WriteStartObject();
        json.WriteStartObject("response");
        if (outcome.Result is { } result)
        {
            json.WriteString("status", result.Kind == TimelineWriteKind.Created ? "201 Created" : "200 OK");
            var version = result.Version.ToString(CultureInfo.InvariantCulture);
            json.WriteString("location", $"{result.ResourceType}/{result.Id}/_history/{version}");
            json.WriteString("etag", $"W/\"{version}\"");
            WriteOutcome(json, outcome.Issues);
        }
        else
        {
            json.WriteString("status", "400 Bad Request");
            WriteOutcome(json, outcome.Prepared.Issues);
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteOutcome(Utf8JsonWriter json, IReadOnlyList<Issue> issues)
    {
        if (issues.Count == 0)
            return;
        json.WritePropertyName("outcome");
        json.WriteRawValue(OperationOutcomeWriter.ToJson(issues));
    }
}
