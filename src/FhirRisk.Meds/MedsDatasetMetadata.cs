using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Meds.Internal;

namespace FhirRisk.Meds;

/// <summary>
/// <c>metadata/dataset.json</c> (MEDS <c>DatasetMetadataSchema</c>, peers.md §5.1). Every field is optional in MEDS;
/// fields we do not model are kept by readers of the raw file but not here.
/// </summary>
public sealed record MedsDatasetMetadata
{
    public string? DatasetName { get; init; }

    public string? DatasetVersion { get; init; }

    public string? EtlName { get; init; }

    public string? EtlVersion { get; init; }

    public string? MedsVersion { get; init; }

    /// <summary>Creation time as written (ISO 8601); other tools write naive local times, we write UTC with an offset.</summary>
    public string? CreatedAt { get; init; }

    public string? License { get; init; }

    public string? LocationUri { get; init; }

    public string? DescriptionUri { get; init; }

    /// <summary>
    /// <c>fhirrisk_time_zone</c>, an extension field (MEDS readers ignore what they do not model): the site time zone,
    /// an IANA id, in which our FHIR ingestion read dates without a time and times without an offset (docs/formats/
    /// fhir-ingestion.md "Time"). Absent: UTC, or a dataset another ETL wrote.
    /// </summary>
    public string? SiteTimeZone { get; init; }

    private static readonly string[] s_stringFields =
    [
        "dataset_name", "dataset_version", "etl_name", "etl_version", "meds_version", "created_at",
        "license", "location_uri", "description_uri", SiteTimeZoneField,
    ];

    /// <summary>The JSON name of <see cref="SiteTimeZone"/>.</summary>
    public const string SiteTimeZoneField = "fhirrisk_time_zone";

    private static readonly string[] s_listFields =
    [
        "raw_source_id_columns", "code_modifier_columns", "additional_value_modality_columns", "site_id_columns",
        "other_extension_columns",
    ];

    /// <summary>Serializes with a fixed field order and indentation, so equal metadata gives equal bytes.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping keeps "+00:00" and non-ASCII names readable; the output is a file, never embedded in HTML.
        var options = new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var json = new Utf8JsonWriter(buffer, options))
        {
            json.WriteStartObject();
            WriteIfSet(json, "dataset_name", DatasetName);
            WriteIfSet(json, "dataset_version", DatasetVersion);
            WriteIfSet(json, "etl_name", EtlName);
            WriteIfSet(json, "etl_version", EtlVersion);
            WriteIfSet(json, "meds_version", MedsVersion);
            WriteIfSet(json, "created_at", CreatedAt);
            WriteIfSet(json, "license", License);
            WriteIfSet(json, "location_uri", LocationUri);
            WriteIfSet(json, "description_uri", DescriptionUri);
            WriteIfSet(json, SiteTimeZoneField, SiteTimeZone);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Formats a creation time the way we write it: UTC, ISO 8601 with microseconds.</summary>
    public static string FormatCreatedAt(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture);

    /// <summary>Reads and checks <c>dataset.json</c>; throws <see cref="MedsFormatException"/> (MEDS003) when malformed.</summary>
    public static MedsDatasetMetadata Read(string path, string displayPath = MedsSchema.DatasetMetadataFile)
    {
        var issues = new List<Issue>();
        var metadata = Parse(File.ReadAllText(path), displayPath, issues);
        ColumnRules.ThrowOnError(issues);
        return metadata!;
    }

    /// <summary>Parses <paramref name="json"/>, recording MEDS003 issues; null when it is not a JSON object.</summary>
    internal static MedsDatasetMetadata? Parse(string json, string path, List<Issue> issues)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            issues.Add(Issue.Error(MedsIssueCodes.BadDatasetJson, path, $"Not valid JSON: {e.Message}"));
            return null;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                issues.Add(Issue.Error(MedsIssueCodes.BadDatasetJson, path, $"Expected a JSON object, found {root.ValueKind}."));
                return null;
            }
            CheckFieldTypes(root, path, issues);
            return new MedsDatasetMetadata
            {
                DatasetName = StringField(root, "dataset_name"),
                DatasetVersion = StringField(root, "dataset_version"),
                EtlName = StringField(root, "etl_name"),
                EtlVersion = StringField(root, "etl_version"),
                MedsVersion = StringField(root, "meds_version"),
                CreatedAt = StringField(root, "created_at"),
                License = StringField(root, "license"),
                LocationUri = StringField(root, "location_uri"),
                DescriptionUri = StringField(root, "description_uri"),
                SiteTimeZone = StringField(root, SiteTimeZoneField),
            };
        }
    }

    private static void CheckFieldTypes(JsonElement root, string path, List<Issue> issues)
    {
        foreach (var name in s_stringFields)
        {
            if (root.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                issues.Add(Issue.Error(MedsIssueCodes.BadDatasetJson, $"{path}:{name}", $"'{name}' must be a string, found {value.ValueKind}."));
        }
        if (root.TryGetProperty("created_at", out var created) && created.ValueKind == JsonValueKind.String
            && !DateTime.TryParse(created.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _))
            issues.Add(Issue.Error(MedsIssueCodes.BadDatasetJson, $"{path}:created_at", "'created_at' is not an ISO 8601 date-time."));
        foreach (var name in s_listFields)
        {
            if (root.TryGetProperty(name, out var value) && !IsStringList(value))
                issues.Add(Issue.Error(MedsIssueCodes.BadDatasetJson, $"{path}:{name}", $"'{name}' must be a list of strings."));
        }
    }

    private static bool IsStringList(JsonElement value) =>
        value.ValueKind == JsonValueKind.Null
        || (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String));

    private static string? StringField(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static void WriteIfSet(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
            json.WriteString(name, value);
    }
}
