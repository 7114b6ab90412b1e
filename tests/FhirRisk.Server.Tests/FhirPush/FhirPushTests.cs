using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Timeline;
using FhirRisk.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Tests.FhirPush;

/// <summary>POST /fhir and /fhir/$import through a real Kestrel with a SQLite store (docs/fhir-push.md).</summary>
public sealed class FhirPushTests : IAsyncLifetime
{
    private TestFhirRiskServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestFhirRiskServer.StartAsync();
        await _server.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_transaction_is_stored_and_answered_entry_by_entry()
    {
        var bundle = TestBundles.Patient("p1");

        var (status, body) = await PushAsync(bundle);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("transaction-response", body["type"]!.GetValue<string>());
        var statuses = Statuses(body);
        Assert.Equal(bundle["entry"]!.AsArray().Count, statuses.Count);
        Assert.All(statuses, s => Assert.Equal("201 Created", s));
        Assert.Equal("Patient/p1/_history/1", body["entry"]![0]!["response"]!["location"]!.GetValue<string>());
        var stored = await _server.Store.ReadPatientAsync("p1");
        Assert.Equal(9, stored.Count); // Patient, Encounter, 6 labs, Condition: urn:uuid subjects resolved to p1
    }

    [Fact]
    public async Task A_repush_changes_nothing_and_a_changed_resource_is_a_new_version()
    {
        await PushAsync(TestBundles.Patient("p1"));

        var (_, again) = await PushAsync(TestBundles.Patient("p1"));
        var (_, changed) = await PushAsync(TestBundles.Patient("p1", firstValue: 2.0));

        Assert.All(Statuses(again), s => Assert.Equal("200 OK", s));
        Assert.All(again["entry"]!.AsArray(), e => Assert.EndsWith("/_history/1", e!["response"]!["location"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Contains(Codes(again), c => c == "PUSH100");
        var versions = changed["entry"]!.AsArray().Select(e => e!["response"]!["etag"]!.GetValue<string>()).ToArray();
        Assert.Equal(6, versions.Count(v => v == "W/\"2\"")); // every lab value moved by one
        Assert.Equal(2, (await _server.Store.ReadAsync("Observation", "p1-lab0"))!.Version);
    }

    [Fact]
    public async Task A_malformed_transaction_is_rejected_whole_with_an_OperationOutcome()
    {
        var bundle = TestBundles.Patient("p2");
        bundle["entry"]!.AsArray().Add(new JsonObject
        {
            ["resource"] = new JsonObject { ["id"] = "no-type" },
            ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Observation" },
        });
        bundle["entry"]!.AsArray().Add(new JsonObject
        {
            ["resource"] = new JsonObject { ["resourceType"] = "Observation", ["id"] = "bad-date", ["effectiveDateTime"] = new JsonArray() },
            ["request"] = new JsonObject { ["method"] = "DELETE", ["url"] = "Observation/x" },
        });

        var (status, body) = await PushAsync(bundle);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("OperationOutcome", body["resourceType"]!.GetValue<string>());
        Assert.Contains("FHIR004", Codes(body));
        Assert.Contains("PUSH004", Codes(body));
        Assert.Contains("PUSH011", Codes(body));
        Assert.Empty(await _server.Store.ReadPatientAsync("p2"));
        Assert.Null(await _server.Store.ReadAsync("Patient", "p2"));
    }

    [Fact]
    public async Task A_delete_or_read_entry_without_a_resource_is_refused_as_a_method_not_served()
    {
        // The HL7 example transaction's DELETE and GET entries carry no resource: they read FHIR016 "entry has no
        // resource", where what they ask is what is not served (walkthrough review s21 L5).
        var bundle = TestBundles.Patient("p-del", type: "batch");
        bundle["entry"]!.AsArray().Add(new JsonObject { ["request"] = new JsonObject { ["method"] = "DELETE", ["url"] = "Observation/x" } });
        bundle["entry"]!.AsArray().Add(new JsonObject { ["request"] = new JsonObject { ["method"] = "GET", ["url"] = "Patient?name=peter" } });

        var (status, body) = await PushAsync(bundle);

        Assert.Equal(HttpStatusCode.OK, status);
        var entries = body["entry"]!.AsArray();
        foreach (var refused in entries.TakeLast(2))
        {
            Assert.StartsWith("400", refused!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal);
            var issue = refused["response"]!["outcome"]!["issue"]![0]!;
            Assert.Contains("PUSH004", issue.ToJsonString(), StringComparison.Ordinal);
            Assert.DoesNotContain("FHIR016", refused.ToJsonString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_batch_stores_the_good_entries_and_reports_the_bad_ones()
    {
        var bundle = TestBundles.Patient("p3", type: "batch");
        bundle["entry"]!.AsArray().Insert(1, new JsonObject { ["resource"] = new JsonObject { ["resourceType"] = "Observation" } });

        var (status, body) = await PushAsync(bundle);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("batch-response", body["type"]!.GetValue<string>());
        var statuses = Statuses(body);
        Assert.Equal("400 Bad Request", statuses[1]);
        Assert.Equal(statuses.Count - 1, statuses.Count(s => s == "201 Created"));
        Assert.Contains("PUSH003", Codes(body["entry"]![1]!["response"]!["outcome"]!));
        Assert.Equal(9, (await _server.Store.ReadPatientAsync("p3")).Count);
    }

    [Fact]
    public async Task A_collection_and_NDJSON_are_stored()
    {
        var (status, _) = await PushAsync(TestBundles.Patient("p4", type: "collection"));
        var lines = string.Join('\n', TestBundles.Patient("p5", type: "collection")["entry"]!.AsArray().Select(e => e!["resource"]!.ToJsonString()));
        using var ndjson = await _server.PostAsync("/fhir/$import", lines + "\n\n{not json}\n", "application/fhir+ndjson");
        var body = JsonNode.Parse(await ndjson.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(9, (await _server.Store.ReadPatientAsync("p4")).Count);
        Assert.Equal(HttpStatusCode.OK, ndjson.StatusCode);
        Assert.Equal("400 Bad Request", Statuses(body)[^1]);
        Assert.Equal(9, (await _server.Store.ReadPatientAsync("p5")).Count);
    }

    [Fact]
    public async Task A_response_Bundle_of_many_entries_is_whole_and_in_order()
    {
        // Far over the writer's flush size: the streamed Bundle must still be one JSON document, entry by entry.
        using var response = await _server.PostAsync("/fhir/$import", string.Concat(Enumerable.Repeat("{}\n", 3000)), "application/fhir+ndjson");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("batch-response", body["type"]!.GetValue<string>());
        var statuses = Statuses(body);
        Assert.Equal(3000, statuses.Count);
        Assert.All(statuses, s => Assert.Equal("400 Bad Request", s));
        Assert.StartsWith("line 3000", body["entry"]![2999]!["response"]!["outcome"]!["issue"]![0]!["expression"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_bodies_are_answered_with_an_OperationOutcome()
    {
        using var wrongType = await _server.PostAsync("/fhir", "{}", "text/plain");
        using var notJson = await _server.PostAsync("/fhir", "{\"resourceType\": \"Bundle\", ");
        using var notBundle = await _server.PostAsync("/fhir", """{"resourceType":"Patient","id":"x"}""");
        using var searchset = await _server.PostAsync("/fhir", """{"resourceType":"Bundle","type":"searchset"}""");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        Assert.Equal("PUSH009", Codes(JsonNode.Parse(await wrongType.Content.ReadAsStringAsync())!).Single());
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Equal("FHIR001", Codes(JsonNode.Parse(await notJson.Content.ReadAsStringAsync())!).Single());
        Assert.Equal("PUSH001", Codes(JsonNode.Parse(await notBundle.Content.ReadAsStringAsync())!).Single());
        Assert.Equal("PUSH002", Codes(JsonNode.Parse(await searchset.Content.ReadAsStringAsync())!).Single());
    }

    [Theory]
    [InlineData("""{"resourceType":"Bundle","type":"batch","entry":{"a":1}}""")]
    [InlineData("""{"resourceType":"Bundle","type":"transaction","entry":"nope"}""")]
    [InlineData("""{"resourceType":"Bundle","type":"collection","entry":null}""")]
    public async Task A_Bundle_whose_entry_is_not_an_array_is_400_with_an_OperationOutcome(string bundle)
    {
        using var response = await _server.PostAsync("/fhir", bundle);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("OperationOutcome", body["resourceType"]!.GetValue<string>());
        Assert.Equal("FHIR006", Codes(body).Single());
        Assert.Equal("Bundle.entry", body["issue"]![0]!["expression"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Concurrent_pushes_of_overlapping_bundles_store_each_resource_once()
    {
        var pushes = Enumerable.Range(0, 12).Select(i => PushAsync(TestBundles.Patient("pc" + (i % 3))));

        var answers = await Task.WhenAll(pushes).WaitAsync(TestFhirRiskServer.Timeout);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        var created = answers.SelectMany(a => Statuses(a.Body)).Count(s => s == "201 Created");
        Assert.Equal(3 * 9, created);
        for (var p = 0; p < 3; p++)
            Assert.All(await _server.Store.ReadPatientAsync("pc" + p), r => Assert.Equal(1, r.Version));
    }

    [Fact]
    public async Task Logs_hold_counts_not_patient_data()
    {
        await PushAsync(TestBundles.Patient("secret-patient-42"));

        Assert.Contains(_server.Logs.Entries, e => e.EventId == 310);
        Assert.DoesNotContain(_server.Logs.Entries, e => e.Message.Contains("secret-patient-42", StringComparison.Ordinal));
        Assert.Empty(_server.Logs.Errors);
    }

    [Fact]
    public async Task A_resource_that_is_not_UTF8_is_a_rejected_entry_not_a_500()
    {
        // Review phi.md #7: the hash's transcoding threw, Kestrel answered 500 and logged the exception message.
        var batch = Utf8Bytes(TestBundles.Patient("pu", type: "batch"), "pu", "ZQX\xc3\x28");
        var transaction = Utf8Bytes(TestBundles.Patient("pt"), "pt", "ZQX\xff\xfe");
        var loneSurrogate = Encoding.UTF8.GetBytes(TestBundles.Patient("ps").ToJsonString().Replace("\"ps\"", "\"ps\",\"zqx\":\"\\ud800\"", StringComparison.Ordinal));

        var (batchStatus, batchBody) = await PushBytesAsync("/fhir", batch);
        var (transactionStatus, transactionBody) = await PushBytesAsync("/fhir", transaction);
        var (surrogateStatus, surrogateBody) = await PushBytesAsync("/fhir", loneSurrogate);
        var (ndjsonStatus, ndjsonBody) = await PushBytesAsync("/fhir/$import", [.. "{\"resourceType\":\"Patient\",\"id\":\"pn\",\"gender\":\"ZQX"u8, 0xff, .. "\"}\n"u8], "application/fhir+ndjson");

        Assert.Equal(HttpStatusCode.OK, batchStatus);
        Assert.Equal("400 Bad Request", Statuses(batchBody)[0]);
        Assert.Equal(["FHIR001"], Codes(batchBody["entry"]![0]!["response"]!["outcome"]!));
        Assert.Equal(8, (await _server.Store.ReadPatientAsync("pu")).Count); // the other entries of the batch are stored
        Assert.Equal(HttpStatusCode.BadRequest, transactionStatus);
        Assert.Equal(["FHIR001", "PUSH011"], Codes(transactionBody));
        Assert.Equal(HttpStatusCode.BadRequest, surrogateStatus);
        Assert.Contains("FHIR001", Codes(surrogateBody));
        Assert.Equal(HttpStatusCode.OK, ndjsonStatus);
        Assert.Equal(["FHIR001"], Codes(ndjsonBody));
        Assert.Empty(_server.Logs.Errors);
    }

    [Fact]
    public async Task An_unexpected_fault_is_a_500_OperationOutcome_logged_by_exception_type_only()
    {
        await using var server = await TestFhirRiskServer.StartAsync(configure: s => s.AddSingleton<ITimelineStore, WriteFailingStore>());
        await server.WaitUntilReadyAsync();

        using var response = await server.PostAsync("/fhir", TestBundles.Patient("pf").ToJsonString());
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(["PUSH013"], Codes(body));
        var error = Assert.Single(server.Logs.Errors);
        Assert.Equal(311, error.EventId);
        Assert.Contains(nameof(InvalidOperationException), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains(WriteFailingStore.Secret, StringComparison.Ordinal));
    }

    [ExternalDataFact]
    public async Task A_Synthea_bundle_is_stored_and_a_repush_is_a_no_op()
    {
        var file = Directory.EnumerateFiles(ExternalData.Path("fhir", "synthea-r4-bundles"), "*.json").Order(StringComparer.Ordinal).First();
        var json = await File.ReadAllTextAsync(file);

        using var first = await _server.PostAsync("/fhir", json);
        using var second = await _server.PostAsync("/fhir", json);
        var firstBody = JsonNode.Parse(await first.Content.ReadAsStringAsync())!;
        var secondBody = JsonNode.Parse(await second.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.All(Statuses(firstBody), s => Assert.Equal("201 Created", s));
        Assert.All(Statuses(secondBody), s => Assert.Equal("200 OK", s));
        var patientId = JsonNode.Parse(json)!["entry"]!.AsArray().First(e => e!["resource"]!["resourceType"]!.GetValue<string>() == "Patient")!["resource"]!["id"]!.GetValue<string>();
        var stored = await _server.Store.ReadPatientAsync(patientId);
        Assert.True(stored.Count > 50, $"only {stored.Count} resources were linked to the patient");
    }

    [Fact]
    public async Task A_record_split_over_pushes_joins_its_Patient_by_urn_uuid_in_either_order_and_is_erased_with_it()
    {
        // The Patient's id ("mrn-77") is not the uuid of its fullUrl (urn:uuid:<uuid>), and the sender split the Bundle
        // (after PUSH016, say): the stay and labs come before the Patient, the Condition after. All were the patient's
        // only when they shared its push (review s24-store #9).
        const string uuid = "6e1c9a52-0000-4000-8000-000000000077";
        var whole = TestBundles.Patient(uuid, type: "batch");
        var entries = whole["entry"]!.AsArray().Select(e => e!.DeepClone()).ToList();
        entries[0]!["resource"]!["id"] = "mrn-77";
        JsonObject Batch(IEnumerable<JsonNode> part) => new() { ["resourceType"] = "Bundle", ["type"] = "batch", ["entry"] = new JsonArray([.. part]) };

        var (_, first) = await PushAsync(Batch(entries.Skip(1).SkipLast(1)));
        await PushAsync(Batch(entries.Take(1)));
        var (_, last) = await PushAsync(Batch(entries.TakeLast(1)));

        Assert.DoesNotContain("PUSH103", Codes(first));
        Assert.DoesNotContain("PUSH103", Codes(last));
        Assert.Equal(entries.Count, (await _server.Store.ReadPatientAsync("mrn-77")).Count);
        Assert.Empty(await _server.Store.ReadPatientAsync(uuid));
        using var erased = await _server.Http.DeleteAsync(new Uri("/fhir/Patient/mrn-77", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        Assert.Null(await _server.Store.ReadAsync("Observation", uuid + "-lab0"));
        Assert.Null(await _server.Store.ReadAsync("Condition", uuid + "-cond"));
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> PushAsync(JsonObject bundle)
    {
        using var response = await _server.PostAsync("/fhir", bundle.ToJsonString());
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> PushBytesAsync(string path, byte[] body, string mediaType = "application/fhir+json")
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType);
        using var response = await _server.Http.PostAsync(new Uri(path, UriKind.Relative), content);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    /// <summary>The bundle as UTF-8 with the Patient's family name replaced by raw bytes (<c>\xNN</c> escapes in <paramref name="family"/>).</summary>
    private static byte[] Utf8Bytes(JsonObject bundle, string patientId, string family)
    {
        bundle["entry"]![0]!["resource"]!["name"] = new JsonArray(new JsonObject { ["family"] = "FAMILY" });
        Assert.Equal(patientId, bundle["entry"]![0]!["resource"]!["id"]!.GetValue<string>());
        var json = Encoding.UTF8.GetBytes(bundle.ToJsonString());
        var at = json.AsSpan().IndexOf("FAMILY"u8);
        var bytes = System.Text.RegularExpressions.Regex.Replace(family, @"\\x([0-9a-f]{2})", m => ((char)Convert.ToByte(m.Groups[1].Value, 16)).ToString())
            .Select(c => (byte)c).ToArray();
        return [.. json.AsSpan(0, at), .. bytes, .. json.AsSpan(at + "FAMILY".Length)];
    }

    private static List<string> Statuses(JsonNode body) =>
        [.. body["entry"]!.AsArray().Select(e => e!["response"]!["status"]!.GetValue<string>())];

    /// <summary>Every issue code in an OperationOutcome, or in the outcomes of a response Bundle's entries.</summary>
    private static List<string> Codes(JsonNode body)
    {
        if (body["resourceType"]!.GetValue<string>() == "Bundle")
            return [.. body["entry"]!.AsArray().Where(e => e!["response"]!["outcome"] is not null).SelectMany(e => Codes(e!["response"]!["outcome"]!))];
        return [.. body["issue"]!.AsArray().Select(i => i!["details"]?["coding"]?[0]?["code"]?.GetValue<string>()).OfType<string>()];
    }
}
