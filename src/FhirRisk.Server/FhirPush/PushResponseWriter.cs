using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Server.Timeline;

namespace FhirRisk.Server.FhirPush;

/// <summary>
/// Writes the transaction-response / batch-response Bundle (FHIR R4 §3.1.0.11 "Transaction Processing Rules"): one
/// entry per request entry, in order, with <c>response.status</c>, <c>location</c> (<c>Type/id/_history/version</c>),
/// <c>etag</c> and, when there is something to say, an OperationOutcome in <c>response.outcome</c>. The Bundle is
/// written to the response as it is made, flushed every <see cref="FlushBytes"/>: one entry's outcome runs to a few
/// hundred bytes, so a whole answer held in memory (and copied to a string and back) cost several times the body
/// (review s12 #7).
/// </summary>
internal static class PushResponseWriter
{
    private const int FlushBytes = 32 * 1024;

    public static async Task WriteAsync(PipeWriter body, string type, IReadOnlyList<EntryOutcome> outcomes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        await using var json = new Utf8JsonWriter(body);
        json.WriteStartObject();
        json.WriteString("resourceType", "Bundle");
        json.WriteString("type", type);
        json.WriteStartArray("entry");
        foreach (var outcome in outcomes)
        {
            WriteEntry(json, outcome);
            if (json.BytesPending >= FlushBytes)
            {
                json.Flush();
                await body.FlushAsync(cancellationToken);
            }
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        await body.FlushAsync(cancellationToken);
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
        OperationOutcomeWriter.Write(json, issues, FhirPushIssueCodes.IssueType);
    }
}
