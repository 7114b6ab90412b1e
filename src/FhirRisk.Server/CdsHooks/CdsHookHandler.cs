using FhirRisk.Server.Patients;

namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// Answers one hook call, as a flat list of steps: check the request, gather the FHIR data (prefetch, then
/// <c>fhirServer</c>), predict the hook's tasks through <see cref="IPatientRiskService"/>, ask for contributors,
/// build the cards. Gathering and answering are two calls so that the edge knows what was gathered even when the
/// answer fails (412). Errors surface as exceptions that <see cref="CdsHooksEndpoints"/> maps to HTTP.
/// </summary>
internal sealed class CdsHookHandler(
    CdsHooksOptions options,
    PrefetchGatherer gatherer,
    IPatientRiskService risks,
    ICardContributorSource contributors,
    RiskCardFactory cards,
    CardUuids cardUuids,
    ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("FhirRisk.Server.CdsHooks");

    /// <param name="issuer">The authenticated client's issuer, "" without one (LocalDemo).</param>
    /// <param name="bytes">The call's bytes, which the fetched pages are counted against.</param>
    /// <exception cref="CdsRequestException">The request is not a valid call of this service (400).</exception>
    public Task<GatheredData> GatherAsync(CdsServiceDefinition service, CdsHookRequest request, string issuer, CallBytes bytes,
        CancellationToken cancellationToken)
    {
        Validate(service, request);
        return gatherer.GatherAsync(service, request, issuer, bytes, cancellationToken);
    }

    /// <exception cref="PatientDataUnavailableException">No data for the patient could be had (412).</exception>
    public async Task<CdsCardsResponse> AnswerAsync(CdsServiceDefinition service, CdsHookRequest request, GatheredData data,
        bool useStoredHistory, Security.CdsClientIdentity? client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        var prediction = new PatientRiskRequest(request.ContextValue("patientId"), [.. data.Documents.Select(d => d.Json)], options.TasksFor(service.Hook))
        {
            // What the gathering read is what the prediction maps: each document is parsed once per call.
            ReadResources = data.Documents,
            UseStoredHistory = useStoredHistory,
            // The encounter being discharged: a task predicted at a discharge is asked at this one (DischargeNow).
            DischargingEncounterId = service.Hook == CdsHookNames.EncounterDischarge ? request.ContextValue("encounterId") : null,
            // The encounter hooks answer the tasks that apply to their encounter's kind: a clinic visit's check-in or
            // discharge gets no cards.
            ContextEncounterId = service.Hook is CdsHookNames.EncounterStart or CdsHookNames.EncounterDischarge ? request.ContextValue("encounterId") : null,
        };
        var result = await risks.PredictAsync(prediction, cancellationToken).ConfigureAwait(false);
        if (result.ContextEncounter is { } kind && result.Risks.Count == 0)
        {
            CdsHooksLog.NoTaskApplies(_logger, service.Id, kind.ToString());
            return new CdsCardsResponse([]);
        }
        if (result.Gaps.Any)
            CdsHooksLog.DataLeftOut(_logger, service.Id, result.Gaps.Rejected, result.Gaps.OtherPatient, result.Gaps.StoredHistoryUnavailable, result.Gaps.StoredHistoryCut);
        var explained = await contributors.GetContributorsAsync(prediction, result.Risks, cancellationToken).ConfigureAwait(false);
        var inputs = result.Risks.Select((risk, i) => new RiskCardInput(risk, explained[i])).ToList();
        // Each card's uuid says which service answered which client, so feedback on it can be told from feedback on a
        // uuid never issued to its sender (CardUuids).
        return new CdsCardsResponse(cards.Build(result, inputs, data.Missing, () => cardUuids.Issue(service.Id, client)));
    }

    private static readonly string[] s_idFields = ["patientId", "encounterId"];

    /// <summary>A FHIR id (R4 §2.24) that is a path segment of its own, not <c>.</c> or <c>..</c>.</summary>
    internal static bool IsFhirId(string id) => id is not ("." or "..") && Fhir.FhirReferences.IsId(id);

    private static void Validate(CdsServiceDefinition service, CdsHookRequest request)
    {
        if (string.IsNullOrEmpty(request.Hook))
            throw new CdsRequestException("'hook' is required.");
        if (request.Hook != service.Hook)
            throw new CdsRequestException($"service '{service.Id}' answers the '{service.Hook}' hook, not '{LogText.Of(request.Hook, 64)}'.");
        if (string.IsNullOrEmpty(request.HookInstance))
            throw new CdsRequestException("'hookInstance' is required.");
        if (request.Context is null)
            throw new CdsRequestException("'context' is required.");
        foreach (var field in service.RequiredContext.Where(f => string.IsNullOrWhiteSpace(request.ContextValue(f))))
            throw new CdsRequestException($"'context.{field}' is required by the '{service.Hook}' hook.");
        // The ids go into FHIR request paths (prefetch templates): "." or ".." there names another resource than the
        // patient's ("Patient/." is a search of every Patient), and "..%2F" another tenant's behind a server that decodes
        // it (review s24-cds L1). CDS Hooks gives them as FHIR ids (R4 §2.24).
        foreach (var field in s_idFields.Where(f => request.ContextValue(f) is { } id && !IsFhirId(id.Trim())))
            throw new CdsRequestException($"'context.{field}' must be a FHIR id: 1-64 of A-Z, a-z, 0-9, '-' and '.', and not '.' or '..'.");
        if (request.FhirAuthorization is not null && string.IsNullOrEmpty(request.FhirServer))
            throw new CdsRequestException("'fhirServer' is required when 'fhirAuthorization' is present.");
        if (request.FhirAuthorization is { } auth && (string.IsNullOrEmpty(auth.AccessToken) || !string.Equals(auth.TokenType, "Bearer", StringComparison.OrdinalIgnoreCase)))
            throw new CdsRequestException("'fhirAuthorization' needs an 'access_token' and 'token_type' Bearer.");
    }
}

/// <summary>Stands in until the host registers the real <see cref="IPatientRiskService"/>: every call is a 503.</summary>
internal sealed class UnconfiguredPatientRiskService : IPatientRiskService
{
    public Task<PatientRiskResult> PredictAsync(PatientRiskRequest request, CancellationToken cancellationToken = default) =>
        throw new RiskServiceUnavailableException();
}

/// <summary>No risk service is registered (answered 503).</summary>
internal sealed class RiskServiceUnavailableException() : Exception("no IPatientRiskService is registered in this host");
