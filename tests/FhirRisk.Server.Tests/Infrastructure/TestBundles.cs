using System.Globalization;
using System.Text.Json.Nodes;

namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>Self-made FHIR R4 data in Synthea's shape (urn:uuid fullUrls, ids equal to the uuids), so push and
/// prediction are tested without the external corpus.</summary>
internal static class TestBundles
{
    /// <summary>A patient with one inpatient stay: Encounter, a lab Observation every few hours and a Condition.</summary>
    public static JsonObject Patient(string patientId, string type = "transaction", int labs = 6, double firstValue = 1.0)
    {
        var encounterId = patientId + "-enc";
        var start = new DateTime(2021, 3, 1, 8, 0, 0, DateTimeKind.Utc);
        var entries = new JsonArray
        {
            Entry(type, "Patient", patientId, new JsonObject
            {
                ["resourceType"] = "Patient", ["id"] = patientId, ["gender"] = "female", ["birthDate"] = "1950-04-02",
            }),
            Entry(type, "Encounter", encounterId, new JsonObject
            {
                ["resourceType"] = "Encounter", ["id"] = encounterId, ["status"] = "finished",
                ["class"] = new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode", ["code"] = "IMP" },
                ["subject"] = Ref(patientId),
                ["period"] = new JsonObject { ["start"] = Time(start), ["end"] = Time(start.AddDays(3)) },
            }),
        };
        for (var i = 0; i < labs; i++)
        {
            var id = $"{patientId}-lab{i}";
            entries.Add(Entry(type, "Observation", id, Lab(id, patientId, encounterId, start.AddHours(4 * (i + 1)), firstValue + i)));
        }
        entries.Add(Entry(type, "Condition", patientId + "-cond", new JsonObject
        {
            ["resourceType"] = "Condition", ["id"] = patientId + "-cond", ["subject"] = Ref(patientId), ["encounter"] = Ref(encounterId),
            ["code"] = Concept("http://snomed.info/sct", "44054006"), ["onsetDateTime"] = Time(start.AddHours(1)),
        }));
        return new JsonObject { ["resourceType"] = "Bundle", ["type"] = type, ["entry"] = entries };
    }

    public static JsonObject Lab(string id, string patientId, string encounterId, DateTime time, double value) => new()
    {
        ["resourceType"] = "Observation", ["id"] = id, ["status"] = "final",
        ["code"] = Concept("http://loinc.org", "2160-0", CreatinineName), ["subject"] = Ref(patientId), ["encounter"] = Ref(encounterId),
        ["effectiveDateTime"] = Time(time),
        ["valueQuantity"] = new JsonObject { ["value"] = value, ["unit"] = "mg/dL", ["system"] = "http://unitsofmeasure.org", ["code"] = "mg/dL" },
    };

    private static JsonObject Entry(string bundleType, string type, string id, JsonObject resource)
    {
        var entry = new JsonObject { ["fullUrl"] = "urn:uuid:" + id, ["resource"] = resource };
        if (bundleType is "transaction" or "batch")
            entry["request"] = new JsonObject { ["method"] = "POST", ["url"] = type };
        return entry;
    }

    private static JsonObject Ref(string id) => new() { ["reference"] = "urn:uuid:" + id };

    /// <summary>The display of the labs' LOINC coding: what cards name the lab by.</summary>
    public const string CreatinineName = "Creatinine [Mass/volume] in Serum or Plasma";

    /// <summary><see cref="CreatinineName"/> as a card's line reads it (the property and the usual specimen dropped).</summary>
    public const string CreatinineLabel = "Creatinine";

    private static JsonObject Concept(string system, string code, string? display = null)
    {
        var coding = new JsonObject { ["system"] = system, ["code"] = code };
        if (display is not null)
            coding["display"] = display;
        return new() { ["coding"] = new JsonArray { coding } };
    }

    private static string Time(DateTime time) => time.ToString("yyyy-MM-ddTHH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
