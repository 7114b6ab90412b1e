using System.Text.Json;
using System.Text.Json.Serialization;

namespace FhirRisk.Server.CdsHooks;

// The CDS Hooks 2.0.1 JSON shapes (reference/standards.md §1). Optional members are omitted when empty, never null
// (spec: "If a JSON attribute is defined as OPTIONAL, and does not have a value, implementers MUST omit it").

internal static class CdsHookNames
{
    public const string PatientView = "patient-view";
    public const string EncounterStart = "encounter-start";
    public const string EncounterDischarge = "encounter-discharge";
}

internal sealed record CdsDiscoveryResponse(IReadOnlyList<CdsServiceDescriptor> Services);

internal sealed record CdsServiceDescriptor(
    string Hook,
    string Title,
    string Description,
    string Id,
    IReadOnlyDictionary<string, string>? Prefetch,
    string? UsageRequirements);

/// <summary>A hook call. Unknown members (<c>extension</c>, newer fields) are ignored.</summary>
internal sealed class CdsHookRequest
{
    /// <summary>A hook call from its body (UTF-8; a byte order mark is skipped, as a stream's deserializer skips it), with
    /// each prefetch value located in <paramref name="body"/> (<see cref="PrefetchValue.Json"/>): one pass over the body.</summary>
    /// <exception cref="JsonException">The body is not JSON of a hook call.</exception>
    public static CdsHookRequest? Read(ReadOnlyMemory<byte> body)
    {
        body = Fhir.Utf8Bom.Skip(body);
        var request = JsonSerializer.Deserialize(body.Span, CdsHooksJsonContext.Default.CdsHookRequest);
        foreach (var (_, value) in request?.Prefetch ?? [])
            value?.Locate(body);
        return request;
    }

    public string? Hook { get; set; }

    public string? HookInstance { get; set; }

    public string? FhirServer { get; set; }

    public CdsFhirAuthorization? FhirAuthorization { get; set; }

    public Dictionary<string, JsonElement>? Context { get; set; }

    /// <summary>The prefetch values by key; a <c>null</c> value ("no data") is null.</summary>
    public Dictionary<string, PrefetchValue?>? Prefetch { get; set; }

    /// <summary>A root-level, primitive context field as a string (the only kind a prefetch token may name).</summary>
    public string? ContextValue(string name) =>
        Context is not null && Context.TryGetValue(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => null,
        } : null;
}

/// <summary>The OAuth 2.0 bearer token the client grants for its FHIR server: transient, never stored or logged.</summary>
internal sealed class CdsFhirAuthorization
{
    [JsonPropertyName("access_token")]
    public string? AccessToken { get; set; }

    [JsonPropertyName("token_type")]
    public string? TokenType { get; set; }

    [JsonPropertyName("expires_in")]
    public long? ExpiresIn { get; set; }

    public string? Scope { get; set; }

    public string? Subject { get; set; }

    public string? Patient { get; set; }
}

internal sealed record CdsCardsResponse(IReadOnlyList<CdsCard> Cards);

internal sealed record CdsCard(
    string Uuid,
    string Summary,
    string Indicator,
    CdsSource Source,
    string? Detail = null,
    IReadOnlyList<CdsLink>? Links = null);

internal sealed record CdsSource(string Label, string? Url = null, string? Icon = null);

internal sealed record CdsLink(string Label, string Url, string Type);

internal sealed class CdsFeedbackRequest
{
    public List<CdsFeedbackItem>? Feedback { get; set; }
}

internal sealed class CdsFeedbackItem
{
    public string? Card { get; set; }

    public string? Outcome { get; set; }

    public List<CdsAcceptedSuggestion>? AcceptedSuggestions { get; set; }

    public CdsOverrideReason? OverrideReason { get; set; }

    public string? OutcomeTimestamp { get; set; }
}

internal sealed class CdsAcceptedSuggestion
{
    public string? Id { get; set; }
}

internal sealed class CdsOverrideReason
{
    public CdsCoding? Reason { get; set; }

    public string? UserComment { get; set; }
}

internal sealed class CdsCoding
{
    public string? Code { get; set; }

    public string? System { get; set; }

    public string? Display { get; set; }
}

/// <summary>The FHIR OperationOutcome the CI build of the spec suggests for non-2xx answers (error-412 example).</summary>
internal sealed record OperationOutcome(IReadOnlyList<OperationOutcomeIssue> Issue)
{
    [JsonPropertyOrder(-1)]
    public string ResourceType => "OperationOutcome";

    public static OperationOutcome Error(string code, string text, string? diagnostics = null) =>
        new([new OperationOutcomeIssue("error", code, new OperationOutcomeDetails(text), diagnostics)]);
}

internal sealed record OperationOutcomeIssue(string Severity, string Code, OperationOutcomeDetails Details, string? Diagnostics);

internal sealed record OperationOutcomeDetails(string Text);

/// <summary>Source-generated JSON for the CDS Hooks contracts: camelCase, nulls omitted.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = false,
    ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(CdsDiscoveryResponse))]
[JsonSerializable(typeof(CdsHookRequest))]
[JsonSerializable(typeof(CdsCardsResponse))]
[JsonSerializable(typeof(CdsFeedbackRequest))]
[JsonSerializable(typeof(OperationOutcome))]
[JsonSerializable(typeof(StoredFeedback))]
internal sealed partial class CdsHooksJsonContext : JsonSerializerContext;
