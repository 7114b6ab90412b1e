using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.Patients;

/// <summary>
/// A stored record maps as the same record supplied whole (ops review s11 #6): the Medications its orders reference
/// (by <c>Medication/id</c>, by <c>urn:uuid:</c>, and a mix's ingredients) and the Location of its Encounter are stored
/// without a patient, and were never read back, so every <c>medicationReference</c> order lost its drug.
/// </summary>
public sealed class SharedResourceTests : IAsyncLifetime
{
    private const string PatientId = "shared-m1";
    private TestFhirRiskServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestFhirRiskServer.StartAsync();
        await _server.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Medications_and_locations_a_stored_record_references_are_read_back_so_it_maps_as_when_supplied()
    {
        var bundle = Bundle("transaction");
        using (var pushed = await _server.PostAsync("/fhir", bundle.ToJsonString()))
            Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
        var builder = _server.Services.GetRequiredService<PatientTimelineBuilder>();

        var stored = await builder.BuildAsync(PatientId, [], useStoredHistory: true, CancellationToken.None);
        var supplied = await builder.BuildAsync(PatientId, [Encoding.UTF8.GetBytes(bundle.ToJsonString())], useStoredHistory: false, CancellationToken.None);

        Assert.Equal(Lines(supplied), Lines(stored));
        Assert.Equal(["RXNORM//1000", "RXNORM//1000", "RXNORM//3000", "RXNORM//4000"], Drugs(stored));
        Assert.DoesNotContain(stored.Warnings, w => w.Code == "FHIRMAP005");
        Assert.Contains(stored.Events, e => e.Code == "ICU_ADMISSION//Medical ICU"); // the unit is the Location's name
    }

    [Fact]
    public async Task Medications_pushed_apart_from_the_orders_that_reference_them_are_read_back()
    {
        // A Bulk Data export: one NDJSON file per type, the Medications in their own.
        var resources = Bundle("collection")["entry"]!.AsArray().Select(e => e!["resource"]!).ToArray();
        var medications = resources.Where(r => r["resourceType"]!.GetValue<string>() is "Medication" or "Location");
        var rest = resources.Where(r => r["resourceType"]!.GetValue<string>() is not ("Medication" or "Location"));
        foreach (var part in new[] { medications, rest })
        {
            using var pushed = await _server.PostAsync("/fhir/$import", string.Join('\n', part.Select(r => r.ToJsonString())), "application/fhir+ndjson");
            Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
        }

        var stored = await _server.Services.GetRequiredService<PatientTimelineBuilder>().BuildAsync(PatientId, [], useStoredHistory: true, CancellationToken.None);

        // The urn:uuid order names its Medication by a fullUrl an NDJSON line does not have: it stays unresolved.
        Assert.Equal(["RXNORM//1000", "RXNORM//3000", "RXNORM//4000"], Drugs(stored));
        Assert.Single(stored.Warnings, w => w.Code == "FHIRMAP005");
    }

    private static string[] Lines(PatientEventsResult result) =>
        [.. result.Events.Select(e => $"{e.Time:O} {e.Code} {e.NumericValue} {e.TextValue}")];

    private static string[] Drugs(PatientEventsResult result) =>
        [.. result.Events.Where(e => e.TextValue == "requested").Select(e => e.Code).Order(StringComparer.Ordinal)];

    /// <summary>A patient, a hospital stay with an ICU stay at a Location (ICU by its location), four orders: by <c>Medication/id</c>, by <c>urn:uuid:</c>, of a mix
    /// whose ingredients are Medications, and of a second drug by id.</summary>
    private static JsonObject Bundle(string type)
    {
        var entries = new JsonArray
        {
            Entry(type, new JsonObject { ["resourceType"] = "Patient", ["id"] = PatientId, ["gender"] = "male", ["birthDate"] = "1948-02-03" }),
            Entry(type, new JsonObject { ["resourceType"] = "Location", ["id"] = "loc-icu", ["name"] = "Medical ICU" }),
            Entry(type, new JsonObject
            {
                ["resourceType"] = "Encounter", ["id"] = "shared-hosp", ["status"] = "finished",
                ["class"] = new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode", ["code"] = "IMP" },
                ["subject"] = new JsonObject { ["reference"] = "Patient/" + PatientId },
                ["period"] = new JsonObject { ["start"] = "2021-05-01T06:00:00Z", ["end"] = "2021-05-05T08:00:00Z" },
            }),
            Entry(type, new JsonObject
            {
                ["resourceType"] = "Encounter", ["id"] = "shared-enc", ["status"] = "finished",
                ["partOf"] = new JsonObject { ["reference"] = "Encounter/shared-hosp" },
                ["class"] = new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode", ["code"] = "IMP" },
                ["subject"] = new JsonObject { ["reference"] = "Patient/" + PatientId },
                ["period"] = new JsonObject { ["start"] = "2021-05-01T08:00:00Z", ["end"] = "2021-05-04T08:00:00Z" },
                ["location"] = new JsonArray { new JsonObject { ["location"] = new JsonObject { ["reference"] = "Location/loc-icu" } } },
            }),
            Entry(type, Medication("med-a", "1000")),
            Entry(type, Medication("med-c", "3000")),
            Entry(type, Medication("med-d", "4000")),
            Entry(type, new JsonObject
            {
                ["resourceType"] = "Medication", ["id"] = "mix-b",
                ["ingredient"] = new JsonArray { new JsonObject { ["itemReference"] = new JsonObject { ["reference"] = "Medication/med-c" } } },
            }),
            Entry(type, Order("mr1", "Medication/med-a", 9)),
            Entry(type, Order("mr2", "urn:uuid:med-a", 10)),
            Entry(type, Order("mr3", "Medication/mix-b", 11)),
            Entry(type, Order("mr4", "Medication/med-d", 12)),
        };
        return new JsonObject { ["resourceType"] = "Bundle", ["type"] = type, ["entry"] = entries };
    }

    private static JsonObject Medication(string id, string rxnorm) => new()
    {
        ["resourceType"] = "Medication", ["id"] = id,
        ["code"] = new JsonObject { ["coding"] = new JsonArray { new JsonObject { ["system"] = "http://www.nlm.nih.gov/research/umls/rxnorm", ["code"] = rxnorm } } },
    };

    private static JsonObject Order(string id, string medication, int hour) => new()
    {
        ["resourceType"] = "MedicationRequest", ["id"] = id, ["status"] = "active", ["intent"] = "order",
        ["medicationReference"] = new JsonObject { ["reference"] = medication },
        ["subject"] = new JsonObject { ["reference"] = "Patient/" + PatientId },
        ["encounter"] = new JsonObject { ["reference"] = "Encounter/shared-enc" },
        ["authoredOn"] = $"2021-05-02T{hour:00}:00:00Z",
    };

    private static JsonObject Entry(string bundleType, JsonObject resource)
    {
        var (type, id) = (resource["resourceType"]!.GetValue<string>(), resource["id"]!.GetValue<string>());
        var entry = new JsonObject { ["fullUrl"] = "urn:uuid:" + id, ["resource"] = resource };
        if (bundleType is "transaction" or "batch")
            entry["request"] = new JsonObject { ["method"] = "PUT", ["url"] = $"{type}/{id}" };
        return entry;
    }
}
