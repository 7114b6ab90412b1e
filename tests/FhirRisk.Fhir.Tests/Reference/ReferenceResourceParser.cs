using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Fhir.Model;
using FhirRisk.Fhir.Reading;

namespace FhirRisk.Fhir.Tests.Reference;

/// <summary>
/// The reference twin of <see cref="FhirResourceParser"/>: the original JsonDocument-based parser, kept as the slow,
/// obviously correct oracle that the differential tests compare the streaming parser with (STYLE 3). It builds a DOM,
/// looks every element up by name (<see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>, which returns
/// the LAST of duplicate properties) and reads the Model records member by member, so the order in which its code reads
/// elements is the order in which it reports issues. Do not optimise it: its value is that it is easy to check.
/// </summary>
internal static class ReferenceResourceParser
{
    private delegate FhirResource ResourceReader(FhirElementReader reader, JsonElement resource, string path);

    private static readonly Dictionary<string, ResourceReader> Readers = new(StringComparer.Ordinal)
    {
        ["Patient"] = ClinicalResourceReader.Patient,
        ["Encounter"] = ClinicalResourceReader.Encounter,
        ["Location"] = ClinicalResourceReader.Location,
        ["Condition"] = ClinicalResourceReader.Condition,
        ["Observation"] = ClinicalResourceReader.Observation,
        ["DiagnosticReport"] = ClinicalResourceReader.DiagnosticReport,
        ["Medication"] = MedicationResourceReader.Medication,
        ["MedicationRequest"] = MedicationResourceReader.MedicationRequest,
        ["MedicationAdministration"] = MedicationResourceReader.MedicationAdministration,
        ["MedicationDispense"] = MedicationResourceReader.MedicationDispense,
        ["MedicationStatement"] = MedicationResourceReader.MedicationStatement,
        ["Procedure"] = MedicationResourceReader.Procedure,
        ["Immunization"] = MedicationResourceReader.Immunization,
        ["AllergyIntolerance"] = MedicationResourceReader.AllergyIntolerance,
    };

    public static FhirParseResult Parse(FhirResourceEnvelope envelope, FhirReaderSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        settings ??= FhirReaderSettings.Default;
        if (!Readers.ContainsKey(envelope.ResourceType))
            return new FhirParseResult(FhirParseOutcome.Skipped, null, []);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(envelope.Json, new JsonDocumentOptions { MaxDepth = settings.MaxDepth });
        }
        catch (JsonException e)
        {
            return Failed(envelope, DepthOrSyntax(envelope.Json.Span, settings), e.Message);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return Failed(envelope, FhirIssueCodes.ResourceNotObject, "a resource must be a JSON object");
            if (!root.TryGetProperty("resourceType", out var type) || type.ValueKind != JsonValueKind.String
                || !Readers.TryGetValue(type.GetString()!, out _))
                return Failed(envelope, FhirIssueCodes.MissingResourceType, "no supported string 'resourceType'");
            var reader = new FhirElementReader(envelope);
            var resource = Read(reader, root, "");
            return new FhirParseResult(FhirParseOutcome.Parsed, resource, reader.Issues);
        }
    }

    private static FhirResource? Read(FhirElementReader reader, JsonElement root, string path)
    {
        var type = root.TryGetProperty("resourceType", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (type is null || !Readers.TryGetValue(type, out var read))
            return null; // contained resources of other types are not ingested
        var resource = read(reader, root, path);
        var meta = reader.Object(root, "meta", path);
        return resource with
        {
            Id = reader.String(root, "id", path),
            Identifiers = reader.Identifiers(root, path),
            Profiles = meta is { } m ? reader.Strings(m, "profile", FhirElementReader.Child(path, "meta")) : [],
            Contained = reader.ObjectItems(root, "contained", path)
                .Select(c => Read(reader, c.Item, c.Path)).OfType<FhirResource>().ToList(),
        };
    }

    // JsonDocument reports excess depth as a JsonException like any syntax error; a scan without the limit tells them apart.
    private static string DepthOrSyntax(ReadOnlySpan<byte> json, FhirReaderSettings settings)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = ResourceJsonScanner.ScanMaxDepth });
        try
        {
            var deepest = 0;
            while (reader.Read())
                deepest = Math.Max(deepest, reader.CurrentDepth);
            return deepest >= settings.MaxDepth ? FhirIssueCodes.NestingTooDeep : FhirIssueCodes.InvalidJson;
        }
        catch (JsonException)
        {
            return FhirIssueCodes.InvalidJson;
        }
    }

    private static FhirParseResult Failed(FhirResourceEnvelope envelope, string code, string message) =>
        new(FhirParseOutcome.Failed, null, [Issue.Error(code, envelope.IssuePath(""), message)]);
}
