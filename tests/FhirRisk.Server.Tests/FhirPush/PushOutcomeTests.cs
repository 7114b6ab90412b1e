using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FhirRisk.Server.Tests.Infrastructure;

namespace FhirRisk.Server.Tests.FhirPush;

/// <summary>What a push's entry responses tell the sender beyond created/updated (ops review s11): an older version
/// that was not stored (#5), a resource no prediction will read (#7).</summary>
public sealed class PushOutcomeTests : IAsyncLifetime
{
    private TestFhirRiskServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestFhirRiskServer.StartAsync();
        await _server.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("batch")]
    [InlineData("transaction")]
    public async Task A_late_older_version_does_not_bring_back_a_retracted_result(string type)
    {
        var id = "late-" + type;
        var retracted = Lab(id, "entered-in-error", new JsonObject { ["versionId"] = "2", ["lastUpdated"] = "2024-02-01T10:00:00+01:00" });
        var original = Lab(id, "final", new JsonObject { ["versionId"] = "1", ["lastUpdated"] = "2024-01-01T00:00:00Z" });

        var (_, first) = await PushAsync(Bundle(type, retracted));
        var (status, late) = await PushAsync(Bundle(type, original));

        Assert.Equal("201 Created", PushAnswers.Statuses(first).Single());
        Assert.Equal(HttpStatusCode.OK, status);
        var response = late["entry"]![0]!["response"]!;
        Assert.Equal("200 OK", response["status"]!.GetValue<string>());
        Assert.Equal($"Observation/{id}/_history/1", response["location"]!.GetValue<string>());
        Assert.Equal(["PUSH102"], PushAnswers.Codes(response["outcome"]!));
        Assert.Equal("warning", response["outcome"]!["issue"]![0]!["severity"]!.GetValue<string>());
        var stored = Encoding.UTF8.GetString((await _server.Store.ReadAsync("Observation", id))!.Json.Span);
        Assert.Contains("entered-in-error", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resource_with_no_patient_is_stored_with_a_warning_that_predictions_will_not_use_it()
    {
        JsonNode?[] subjects =
        [
            new JsonObject { ["reference"] = "Patient?identifier=http://mrn|123" },
            new JsonObject { ["reference"] = "Group/ward-7" },
            new JsonObject { ["identifier"] = new JsonObject { ["system"] = "http://mrn", ["value"] = "123" } },
            null,
            new JsonObject { ["reference"] = "Patient/pw" },
        ];
        var labs = subjects.Select((subject, i) =>
        {
            var lab = TestBundles.Lab($"nopatient-{i}", "pw", "pw-enc", new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), i);
            lab.Remove("encounter");
            lab["subject"] = subject;
            return lab;
        });
        var medication = new JsonObject { ["resourceType"] = "Medication", ["id"] = "nopatient-med" };

        var (status, body) = await PushAsync(Bundle("batch", [.. labs, medication]));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.All(PushAnswers.Statuses(body), s => Assert.Equal("201 Created", s));
        var entries = body["entry"]!.AsArray();
        for (var i = 0; i < 4; i++)
        {
            var issue = entries[i]!["response"]!["outcome"]!["issue"]![0]!;
            Assert.Equal("PUSH103", issue["details"]!["coding"]![0]!["code"]!.GetValue<string>());
            Assert.Equal("warning", issue["severity"]!.GetValue<string>());
            Assert.Equal($"Bundle.entry[{i}].resource.subject", issue["expression"]![0]!.GetValue<string>());
        }
        Assert.Null(entries[4]!["response"]!["outcome"]); // linked to its patient
        Assert.Null(entries[5]!["response"]!["outcome"]); // a Medication has no patient to name
    }

    [Fact]
    public async Task A_reference_to_another_servers_patient_does_not_join_ours_of_that_id()
    {
        // The sender's own server is ehr.example (its fullUrls); other.example's Patient/px is another person.
        JsonObject Entry(string id, string subject)
        {
            var lab = TestBundles.Lab(id, "px", "px-enc", new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), 1.0);
            lab.Remove("encounter");
            lab["subject"] = new JsonObject { ["reference"] = subject };
            return new JsonObject
            {
                ["fullUrl"] = $"https://ehr.example/fhir/Observation/{id}",
                ["resource"] = lab,
                ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = $"Observation/{id}" },
            };
        }
        var bundle = new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "batch",
            ["entry"] = new JsonArray(Entry("foreign-1", "https://other.example/fhir/Patient/px"), Entry("own-1", "https://EHR.example/fhir/Patient/px"),
                Entry("own-2", "Patient/px")),
        };

        var (status, body) = await PushAsync(bundle);

        Assert.Equal(HttpStatusCode.OK, status);
        var entries = body["entry"]!.AsArray();
        Assert.Equal(["PUSH103"], PushAnswers.Codes(entries[0]!["response"]!["outcome"]!));
        Assert.Null(entries[1]!["response"]!["outcome"]);
        Assert.Null(entries[2]!["response"]!["outcome"]);
        Assert.Null((await _server.Store.ReadAsync("Observation", "foreign-1"))!.PatientId);
        Assert.Equal("px", (await _server.Store.ReadAsync("Observation", "own-1"))!.PatientId);
        Assert.Equal("px", (await _server.Store.ReadAsync("Observation", "own-2"))!.PatientId);
    }

    [Fact]
    public async Task Text_the_store_cannot_keep_is_a_rejected_entry_and_an_id_no_Patient_can_have_names_no_patient()
    {
        // Review s24-store #4: PostgreSQL refuses U+0000 in text, which read as a store outage (503, retried forever) and
        // sank the request; a patient id that is no FHIR id could never be erased.
        JsonObject Entry(string id, string subject, string? fullUrl = null, string type = "Observation")
        {
            var lab = TestBundles.Lab(id, "pz", "pz-enc", new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), 1.0);
            lab.Remove("encounter");
            lab["resourceType"] = type;
            lab["subject"] = new JsonObject { ["reference"] = subject };
            return new JsonObject
            {
                ["fullUrl"] = fullUrl ?? $"https://ehr.example/fhir/Observation/{id}",
                ["resource"] = lab,
                ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Observation" },
            };
        }
        var bundle = new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "batch",
            ["entry"] = new JsonArray(
                Entry("nul-url", "Patient/pz", fullUrl: "urn:uuid:a\u0000b"),
                Entry("nul-type", "Patient/pz", type: "Observ\u0000ation"),
                Entry("odd-id", "Patient/a_b"),
                Entry("long-id", "Patient/" + new string('x', 65)),
                Entry("fine", "Patient/pz"),
                Entry("nl-type", "Patient/pz", type: "Observation\n"), // $ matched before a final newline (review s24-changes L4)
                new JsonObject
                {
                    ["fullUrl"] = "urn:uuid:6e1c9a52-0000-4000-8000-00000000000b",
                    ["resource"] = new JsonObject { ["resourceType"] = "Patient", ["id"] = "a_b" },
                    ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Patient" },
                },
                // A rejected Patient's id named by its fullUrl names no patient either (review s24-changes M3).
                Entry("by-url", "urn:uuid:6e1c9a52-0000-4000-8000-00000000000b")),
        };

        var (status, body) = await PushAsync(bundle);

        Assert.Equal(HttpStatusCode.OK, status);
        var entries = body["entry"]!.AsArray();
        Assert.Equal(["PUSH019"], PushAnswers.Codes(entries[0]!["response"]!["outcome"]!));
        Assert.Equal(["PUSH019"], PushAnswers.Codes(entries[1]!["response"]!["outcome"]!));
        Assert.Equal(["PUSH103"], PushAnswers.Codes(entries[2]!["response"]!["outcome"]!));
        Assert.Equal(["PUSH103"], PushAnswers.Codes(entries[3]!["response"]!["outcome"]!));
        Assert.Null(entries[4]!["response"]!["outcome"]);
        Assert.Equal(["PUSH019"], PushAnswers.Codes(entries[5]!["response"]!["outcome"]!));
        Assert.Equal(["PUSH006"], PushAnswers.Codes(entries[6]!["response"]!["outcome"]!));
        Assert.Equal(["PUSH103"], PushAnswers.Codes(entries[7]!["response"]!["outcome"]!));
        Assert.Null((await _server.Store.ReadAsync("Observation", "by-url"))!.PatientId);
        Assert.Null(await _server.Store.ReadAsync("Observation", "nul-url"));
        Assert.Null((await _server.Store.ReadAsync("Observation", "odd-id"))!.PatientId);
        Assert.Equal("pz", (await _server.Store.ReadAsync("Observation", "fine"))!.PatientId);
    }

    private static JsonObject Lab(string id, string status, JsonObject meta)
    {
        var lab = TestBundles.Lab(id, "pv", "pv-enc", new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), 4.2);
        lab["status"] = status;
        lab["meta"] = meta;
        return lab;
    }

    private static JsonObject Bundle(string type, params JsonObject[] resources) => new()
    {
        ["resourceType"] = "Bundle",
        ["type"] = type,
        ["entry"] = new JsonArray([.. resources.Select(r => (JsonNode)new JsonObject
        {
            ["resource"] = r,
            ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = $"{r["resourceType"]}/{r["id"]}" },
        })]),
    };

    private async Task<(HttpStatusCode Status, JsonNode Body)> PushAsync(JsonObject bundle)
    {
        using var response = await _server.PostAsync("/fhir", bundle.ToJsonString());
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }
}

/// <summary>Reading push answers in tests.</summary>
internal static class PushAnswers
{
    public static List<string> Statuses(JsonNode body) =>
        [.. body["entry"]!.AsArray().Select(e => e!["response"]!["status"]!.GetValue<string>())];

    /// <summary>Every issue code in an OperationOutcome, or in the outcomes of a response Bundle's entries.</summary>
    public static List<string> Codes(JsonNode body)
    {
        if (body["resourceType"]!.GetValue<string>() == "Bundle")
            return [.. body["entry"]!.AsArray().Where(e => e!["response"]!["outcome"] is not null).SelectMany(e => Codes(e!["response"]!["outcome"]!))];
        return [.. body["issue"]!.AsArray().Select(i => i!["details"]?["coding"]?[0]?["code"]?.GetValue<string>()).OfType<string>()];
    }
}
