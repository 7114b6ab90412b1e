using System.Net;
using System.Text.Json.Nodes;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Tests.Risk;
using FhirRisk.Testing;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Tests.Operations;

/// <summary>
/// Bad input is the caller's error, never the server's: Synthea patients' records, sent as CDS Hooks calls of each hook,
/// as feedback and as FHIR pushes, with a few of their JSON values replaced (by other types, empty containers, dates
/// that do not exist, huge numbers, NUL, long strings) or removed, or their text cut or garbled, are answered without a
/// 500 and without an error in the log. Seeded and bounded (160 requests, about ten seconds); a longer run of
/// the same mutations (3,600 requests in four seeds) found nothing either.
/// </summary>
public sealed class MutatedRequestTests
{
    private static readonly JsonNode?[] Values =
    [
        null, JsonValue.Create(true), JsonValue.Create(0), JsonValue.Create(-1), JsonValue.Create(1e308), JsonValue.Create(-1e-308),
        JsonValue.Create(decimal.MaxValue), JsonValue.Create(long.MinValue), JsonValue.Create(""), JsonValue.Create("x"),
        JsonValue.Create(new string('é', 5000)), JsonValue.Create("2020-13-45"), JsonValue.Create("2020-02-30T25:61:00Z"),
        JsonValue.Create("9999-12-31T23:59:59Z"), JsonValue.Create("0001-01-01"), JsonValue.Create("2020-01-01T00:00:00+14:00"),
        JsonValue.Create("2020"), JsonValue.Create("\u0000"), JsonValue.Create("💥"), JsonValue.Create("Patient/"),
        JsonValue.Create("urn:uuid:"), JsonValue.Create("Observation/../../x"), JsonValue.Create("1e400"), JsonValue.Create("-0"),
        // Numbers no double or decimal holds, written into the text as numbers (Numbers below).
        JsonValue.Create("__1e400__"), JsonValue.Create("__-1e400__"), JsonValue.Create("__123456789012345678901234567890123__"),
    ];

    private static readonly string[] Numbers = ["1e400", "-1e400", "123456789012345678901234567890123"];

    [ExternalDataFact]
    public async Task No_mutated_hook_call_feedback_or_push_is_a_server_error()
    {
        var settings = new Dictionary<string, string?>(DemoModel.Settings)
        {
            ["CdsHooks:Authentication:Mode"] = "LocalDemo",
            ["Model:DefaultMethod"] = "heads",
        };
        await using var server = await TestFhirRiskServer.StartAsync(settings, cdsHooks: true);
        await server.WaitUntilReadyAsync();
        var records = Directory.GetFiles(ExternalData.Path("fhir", "synthea-r4-bundles"), "*.json").Order(StringComparer.Ordinal).Take(3)
            .Select(File.ReadAllText).ToArray();
        var random = new Random(20261206);
        var statuses = new Dictionary<int, int>();

        for (var i = 0; i < 160; i++)
        {
            var (path, body, mediaType) = Request(JsonNode.Parse(records[i % records.Length])!, random);
            if (i % 4 == 3)
                body = Garble(body, random);
            using var response = await server.PostAsync(path, body, mediaType).WaitAsync(TestFhirRiskServer.Timeout);

            Assert.True(response.StatusCode != HttpStatusCode.InternalServerError, $"request {i} to {path} answered 500");
            statuses[(int)response.StatusCode] = statuses.GetValueOrDefault((int)response.StatusCode) + 1;
        }
        Assert.Empty(server.Logs.Errors);
        // Both sides are exercised: many mutated requests still reach the model and are answered, many are refused.
        var seen = string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"));
        Assert.True(statuses.GetValueOrDefault(200) > 40, seen);
        Assert.True(statuses.Where(s => s.Key is >= 400 and < 500).Sum(s => s.Value) > 20, seen);
    }

    /// <summary>One request from a patient's record: a hook call of one of the three services, feedback, or a push.</summary>
    private static (string Path, string Body, string MediaType) Request(JsonNode record, Random random)
    {
        var entries = record["entry"]!.AsArray();
        var resources = entries.Select(e => e!["resource"]!).ToArray();
        var patient = resources.First(r => (string?)r["resourceType"] == "Patient");
        var encounter = resources.Where(r => (string?)r["resourceType"] == "Encounter").Select(r => (string?)r["id"]).LastOrDefault() ?? "e1";
        JsonObject Hook(string hook) => new()
        {
            ["hook"] = hook,
            ["hookInstance"] = Uuid(random),
            ["context"] = new JsonObject { ["userId"] = "Practitioner/x", ["patientId"] = (string?)patient["id"], ["encounterId"] = encounter },
            ["prefetch"] = new JsonObject
            {
                ["patient"] = patient.DeepClone(),
                ["everything"] = new JsonObject { ["resourceType"] = "Bundle", ["type"] = "searchset", ["entry"] = entries.DeepClone() },
            },
        };
        var (path, node, mediaType) = random.Next(6) switch
        {
            0 or 1 => ($"/cds-services/{CdsServiceCatalog.PatientRiskId}", Hook("patient-view"), "application/json"),
            2 => ($"/cds-services/{CdsServiceCatalog.AdmissionRiskId}", Hook("encounter-start"), "application/json"),
            3 => ($"/cds-services/{CdsServiceCatalog.ReadmissionRiskId}", Hook("encounter-discharge"), "application/json"),
            4 => ($"/cds-services/{CdsServiceCatalog.PatientRiskId}/feedback", new JsonObject
            {
                ["feedback"] = new JsonArray(new JsonObject
                {
                    ["card"] = Uuid(random),
                    ["outcome"] = "overridden",
                    ["overrideReasons"] = new JsonArray(new JsonObject { ["reason"] = new JsonObject { ["code"] = "x", ["system"] = "y" }, ["userComment"] = "z" }),
                    ["outcomeTimestamp"] = "2026-12-01T10:00:00Z",
                }),
            }, "application/json"),
            _ => ("/fhir", (JsonObject)record.DeepClone(), "application/fhir+json"),
        };
        if (path == "/fhir")
            node["type"] = "collection";
        // One hook call in three has its envelope mutated (hook, context, ids), not the records it carries.
        var envelopeOnly = node.ContainsKey("prefetch") && random.Next(3) == 0;
        Mutate(node, random, 1 + random.Next(path.EndsWith("/feedback", StringComparison.Ordinal) || envelopeOnly ? 3 : 12), envelopeOnly);
        var text = node.ToJsonString();
        foreach (var number in Numbers)
            text = text.Replace($"\"__{number}__\"", number, StringComparison.Ordinal);
        return (path, text, mediaType);
    }

    private static string Uuid(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes).ToString();
    }

    /// <summary>Replaces or removes <paramref name="count"/> values anywhere in the tree, or outside its <c>prefetch</c>.</summary>
    private static void Mutate(JsonObject root, Random random, int count, bool envelopeOnly = false)
    {
        for (var m = 0; m < count; m++)
        {
            var nodes = new List<JsonNode>();
            Collect(root, nodes, envelopeOnly ? root["prefetch"] : null);
            var target = nodes[random.Next(nodes.Count)];
            var replacement = random.Next(10) switch
            {
                0 => new JsonArray(),
                1 => new JsonObject(),
                2 when target is JsonObject o => new JsonArray(o.DeepClone()),
                3 when target is JsonArray { Count: > 0 } a => a[0]?.DeepClone(),
                _ => Values[random.Next(Values.Length)]?.DeepClone(),
            };
            var remove = random.Next(5) == 0;
            switch (target.Parent)
            {
                case JsonObject parent:
                    var name = parent.First(p => ReferenceEquals(p.Value, target)).Key;
                    if (remove)
                        parent.Remove(name);
                    else
                        parent[name] = replacement;
                    break;
                case JsonArray parent:
                    var index = parent.IndexOf(target);
                    if (remove)
                        parent.RemoveAt(index);
                    else
                        parent[index] = replacement;
                    break;
            }
        }
    }

    private static void Collect(JsonNode node, List<JsonNode> nodes, JsonNode? except)
    {
        if (ReferenceEquals(node, except))
            return;
        nodes.Add(node);
        IEnumerable<JsonNode?> children = node switch
        {
            JsonObject o => o.Select(p => p.Value).ToArray(),
            JsonArray a => a.ToArray(),
            _ => [],
        };
        foreach (var child in children.OfType<JsonNode>())
            Collect(child, nodes, except);
    }

    /// <summary>The text with a few characters replaced by JSON punctuation or odd ones, and cut short one time in four.</summary>
    private static string Garble(string body, Random random)
    {
        const string Odd = "{}[]\",:0-e.\\u\u0000é ";
        var chars = body.ToCharArray();
        for (var f = random.Next(1, 6); f > 0; f--)
            chars[random.Next(chars.Length)] = Odd[random.Next(Odd.Length)];
        var garbled = new string(chars);
        return random.Next(4) == 0 ? garbled[..random.Next(garbled.Length)] : garbled;
    }
}
