using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using FhirRisk.Server.CdsHooks;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>
/// A search the service runs itself asks for the most recently updated resources first, so a record longer than
/// <c>MaxPages</c> pages is read from its newest end — the part a model reading the last tokens of a timeline needs —
/// where the server's own order, that of storage, kept years-old readings and left out the current stay's.
/// </summary>
public sealed class NewestFirstTests
{
    private const int Observations = 30;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_search_cut_at_the_page_limit_keeps_the_newest_pages_unless_told_otherwise(bool newestFirst)
    {
        await using var fhir = await RecordFhirServer.StartAsync(Record(), pageSize: 5);
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:Fhir:MaxPages"] = "2",
            ["CdsHooks:Fhir:NewestFirst"] = newestFirst ? "true" : "false",
        });

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var read = ObservationIds(server.Risks.Requests.Single().FhirResources);
        // Two pages of five: the ten stored last (obs-20 … obs-29), or the ten stored first (obs-00 … obs-09).
        var expected = Enumerable.Range(newestFirst ? Observations - 10 : 0, 10).Select(i => $"obs-{i:D2}");
        Assert.Equal(expected.Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
        // Either way the search was cut, and the cards say so.
        var notice = (await CardsAsync(response)).Last();
        Assert.StartsWith("Risk estimates may be incomplete", notice.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains(fhir.Requests, r => r.StartsWith("/fhir/Observation?", StringComparison.Ordinal)
            && r.Contains("_sort=-_lastUpdated", StringComparison.Ordinal) == newestFirst);
    }

    /// <summary>A patient and <see cref="Observations"/> heart rates a day apart, stored in the order they were taken
    /// (each updated when taken), so a server's storage order is the oldest first.</summary>
    private static List<JsonObject> Record()
    {
        var entries = new List<JsonObject>
        {
            Entry(new JsonObject { ["resourceType"] = "Patient", ["id"] = "p1", ["gender"] = "female", ["birthDate"] = "1950-01-01" }),
        };
        var first = new DateTimeOffset(2024, 1, 1, 8, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < Observations; i++)
        {
            var taken = first.AddDays(i).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
            entries.Add(Entry(new JsonObject
            {
                ["resourceType"] = "Observation",
                ["id"] = $"obs-{i:D2}",
                ["meta"] = new JsonObject { ["lastUpdated"] = taken },
                ["status"] = "final",
                ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = "8867-4" }) },
                ["subject"] = new JsonObject { ["reference"] = "Patient/p1" },
                ["effectiveDateTime"] = taken,
                ["valueQuantity"] = new JsonObject { ["value"] = 70 + i, ["unit"] = "/min", ["system"] = "http://unitsofmeasure.org", ["code"] = "/min" },
            }));
        }
        return entries;

        static JsonObject Entry(JsonObject resource) =>
            new() { ["fullUrl"] = $"http://fhir.test/{resource["resourceType"]}/{resource["id"]}", ["resource"] = resource };
    }

    private static List<string> ObservationIds(IEnumerable<ReadOnlyMemory<byte>> documents)
    {
        var ids = new List<string>();
        foreach (var document in documents)
        {
            using var json = JsonDocument.Parse(document);
            if (json.RootElement.GetProperty("resourceType").GetString() != "Bundle" || !json.RootElement.TryGetProperty("entry", out var entries))
                continue;
            ids.AddRange(entries.EnumerateArray().Select(e => e.GetProperty("resource"))
                .Where(r => r.GetProperty("resourceType").GetString() == "Observation")
                .Select(r => r.GetProperty("id").GetString()!));
        }
        return ids;
    }

    private static async Task<List<JsonElement>> CardsAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. json.RootElement.GetProperty("cards").EnumerateArray().Select(c => c.Clone())];
    }
}
