using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FhirRisk.Server.Patients;
using Microsoft.AspNetCore.WebUtilities;

namespace FhirRisk.Server.CdsHooks;

/// <summary>A prefetch key the service could not fill, and why (kinds and HTTP statuses only: no patient data).</summary>
internal sealed record MissingPrefetch(string Key, FetchProblem Problem)
{
    public MissingPrefetch(string key, FetchFailure reason)
        : this(key, new FetchProblem(reason))
    {
    }

    public FetchFailure Reason => Problem.Kind;
}

/// <summary>The FHIR data gathered for one hook call: each document read once, as the prediction reads it.</summary>
/// <param name="NotOffered">Supplementary keys (<see cref="CdsServiceCatalog.SupplementaryKeys"/>) that neither the client nor
/// its FHIR server offers: read without, not reported as missing.</param>
internal sealed record GatheredData(IReadOnlyList<SuppliedFhirDocument> Documents, IReadOnlyList<MissingPrefetch> Missing)
{
    public IReadOnlyList<string> NotOffered { get; init; } = [];
}

/// <summary>
/// Collects the FHIR resources for a call (spec "Providing FHIR Resources to a CDS Service"): every resource the
/// client prefetched is used; each of the service's prefetch keys the client left out (or answered with an
/// OperationOutcome) is fetched from <c>fhirServer</c> with <c>fhirAuthorization</c>, all keys in parallel.
/// A key whose value is <c>null</c> means "no data" and is not fetched again; a value that is not a FHIR resource is ignored.
/// A Patient without an <c>id</c> under our <c>patient</c> key is the context patient and gets its id. What it decides
/// by was read with the body (<see cref="PrefetchValue"/>) or with the page (<see cref="FhirServerClient"/>); each document
/// it keeps is read here once by the FHIR reader, and that reading is what the prediction maps. A <c>fhirServer</c> is
/// fetched from only when <see cref="FhirServerPolicy"/> allows it for the calling issuer.
/// </summary>
internal sealed class PrefetchGatherer(FhirServerClient client, FhirServerPolicy policy, FhirReading? reading = null)
{
    /// <param name="issuer">The authenticated client's issuer, "" without one (LocalDemo): it picks the servers the call
    /// may name and the circuits its fetches go through.</param>
    /// <param name="bytes">The call's bytes: every page fetched is counted against them (<c>MaxBytesPerCall</c>, and the
    /// budget of all calls in flight).</param>
    /// <exception cref="CallBytesExhaustedException">The calls in flight hold the whole budget (503).</exception>
    public async Task<GatheredData> GatherAsync(CdsServiceDefinition service, CdsHookRequest request, string issuer, CallBytes bytes,
        CancellationToken cancellationToken)
    {
        var prefetched = new List<ReadOnlyMemory<byte>>();
        var satisfied = new HashSet<string>(StringComparer.Ordinal);
        var partial = new List<MissingPrefetch>(); // our keys the client filled with part of a search
        var clientFailed = new HashSet<string>(StringComparer.Ordinal); // keys the client answered with an OperationOutcome
        foreach (var (key, value) in request.Prefetch ?? [])
        {
            if (value is null)
            {
                satisfied.Add(key);
                continue;
            }
            // Not a resource (the spec's own prefetch example has "user": "123"), or an OperationOutcome (the client
            // could not get it): treated as absent, so our own key is fetched instead.
            if (value.Kind != JsonValueKind.Object || value.ResourceType is not { } type || type == "OperationOutcome")
            {
                if (value.ResourceType == "OperationOutcome")
                    clientFailed.Add(key);
                continue;
            }
            prefetched.Add(IsContextPatientRead(service, key) && type == "Patient" && string.IsNullOrWhiteSpace(value.Id)
                ? WithId(value, request.ContextValue("patientId")!.Trim())
                : value.Json);
            satisfied.Add(key);
            // Page 1 of a search with more, or a search the client says went wrong in part: used, and the cards say the
            // record was read in part (review s24-cds M1: it counted as the whole record).
            if (service.Prefetch.ContainsKey(key) && type == "Bundle" && value.IsPartial)
                partial.Add(new MissingPrefetch(key, FetchFailure.PrefetchedInPart));
        }

        // A client's own key (the spec example's patientToGreet) can answer one of ours: then ours is not fetched again
        // and not reported missing. One whose value is null ("no data") answers none.
        var ownKeys = (request.Prefetch ?? []).Where(p => !service.Prefetch.ContainsKey(p.Key) && satisfied.Contains(p.Key))
            .Select(p => p.Value).OfType<PrefetchValue>().ToList();
        foreach (var (key, template) in service.Prefetch)
        {
            if (!satisfied.Contains(key) && ownKeys.Any(value => Answers(value, template, request.ContextValue("patientId"))))
                satisfied.Add(key);
        }

        var unfilled = service.Prefetch.Where(p => !satisfied.Contains(p.Key)).ToList();
        // One key refused by the budget of all calls (503 for the call) stops its siblings: their pages are not wanted.
        using var fetching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var fetches = unfilled.Select(p => FetchOrStopAsync(p.Value, request, issuer, bytes, fetching)).ToList();
        FhirFetchResult[] results;
        List<SuppliedFhirDocument> documents;
        try
        {
            // Read while the FHIR server answers; its pages are read as they come (FhirServerClient).
            documents = [.. prefetched.Select(json => (reading ?? FhirReading.Utc).Read(json))];
            results = await Task.WhenAll(fetches).ConfigureAwait(false);
        }
        catch
        {
            // No fetch outlives the call: its bytes are given back when the call ends, and a page read after that
            // would be counted nowhere.
            await fetching.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(fetches.Cast<Task>()).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            // The budget's refusal is the call's answer, whichever sibling's cancellation the await saw first.
            if (fetches.Select(f => f.Exception?.InnerException).OfType<CallBytesExhaustedException>().FirstOrDefault() is { } exhausted)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exhausted);
            throw;
        }
        var (missing, notOffered) = (new List<MissingPrefetch>(partial), new List<string>());
        for (var i = 0; i < unfilled.Count; i++)
        {
            documents.AddRange(results[i].Documents);
            if (results[i].Problem is not { } problem)
                continue;
            // Not offered: a supplementary key whose first page the server would not search, or that no one could be
            // asked for — unless the client said it tried and failed (an OperationOutcome, CDS Hooks 2.0 "Prefetch").
            var key = unfilled[i].Key;
            if (CdsServiceCatalog.SupplementaryKeys.Contains(key) && NotOffered(problem)
                && !(problem.Kind == FetchFailure.NoFhirServer && clientFailed.Contains(key)))
                notOffered.Add(key);
            else
                missing.Add(new MissingPrefetch(unfilled[i].Key, problem));
        }
        return new GatheredData(documents, missing) { NotOffered = notOffered };
    }

    /// <summary>Whether a failure says the type is not offered (no server to ask; a search the server does not support or
    /// grant), not that data offered could not be had.</summary>
    private static bool NotOffered(FetchProblem problem) => problem.Kind switch
    {
        FetchFailure.NoFhirServer => true,
        FetchFailure.Unauthorized => problem is { HttpStatus: 403, Page: 0 },
        FetchFailure.ServerError => problem is { HttpStatus: 400 or 405 or 501, Page: 0 },
        _ => false,
    };

    private async Task<FhirFetchResult> FetchOrStopAsync(string template, CdsHookRequest request, string issuer, CallBytes bytes,
        CancellationTokenSource fetching)
    {
        try
        {
            return await FetchAsync(template, request, issuer, bytes, fetching.Token).ConfigureAwait(false);
        }
        catch (CallBytesExhaustedException)
        {
            await fetching.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private Task<FhirFetchResult> FetchAsync(string template, CdsHookRequest request, string issuer, CallBytes bytes, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(request.FhirServer, UriKind.Absolute, out var server) || (server.Scheme != "https" && server.Scheme != "http"))
            return Task.FromResult(FhirFetchResult.Failed(FetchFailure.NoFhirServer));
        if (!policy.Allows(server, issuer))
            return Task.FromResult(FhirFetchResult.Failed(FetchFailure.ServerNotAllowed));
        if (PrefetchTemplate.Render(template, request.ContextValue) is not { } relativeUrl)
            return Task.FromResult(FhirFetchResult.Failed(FetchFailure.TemplateUnrenderable));
        return client.FetchAsync(server, relativeUrl, request.FhirAuthorization?.AccessToken, issuer, bytes, cancellationToken);
    }

    /// <summary>
    /// Whether a resource the client sent under its own key answers our template: the context patient read
    /// (<c>Patient/{{context.patientId}}</c>) by a Patient with that id; a search (<c>Type?patient=…</c>) by a whole
    /// searchset Bundle of that search — its <c>self</c> link the same search of the same patient, narrowed by nothing
    /// (only <c>_count</c>, <c>_sort</c>, <c>_format</c>, <c>_total</c> beside <c>patient</c>), no <c>next</c> page, no
    /// OperationOutcome entry, every entry of the type. A Bundle whose search it does not say, or one narrowed (the spec
    /// example's <c>hemoglobin-a1c</c>, one HbA1c result), is used but does not stand for our search, which is then
    /// fetched or reported missing (review s24-cds M1: one HbA1c counted as all of a patient's observations).
    /// </summary>
    private static bool Answers(PrefetchValue value, string template, string? patientId)
    {
        if (template == ContextPatientRead)
            return value.ResourceType == "Patient" && patientId is not null && value.Id == patientId.Trim();
        var query = template.IndexOf('?', StringComparison.Ordinal);
        if (query <= 0 || patientId is null || value.ResourceType != "Bundle" || value.BundleType != "searchset" || value.IsPartial)
            return false;
        // An empty search has no entry array (FHIR JSON has no empty arrays): a whole search that found nothing.
        var searched = template[..query];
        return (value.EntryTypes ?? []).All(type => type == searched) && IsWholeSearch(value.SelfLink, searched, patientId.Trim());
    }

    private static readonly HashSet<string> s_unnarrowing = new(StringComparer.Ordinal) { "_count", "_sort", "_format", "_total" };

    /// <summary>Whether <paramref name="self"/> (relative or absolute) is <c>type?patient=id</c>, with nothing else that
    /// narrows what it finds.</summary>
    private static bool IsWholeSearch(string? self, string type, string patientId)
    {
        if (string.IsNullOrWhiteSpace(self))
            return false;
        var at = self.IndexOf('?', StringComparison.Ordinal);
        var path = (at < 0 ? self : self[..at]).TrimEnd('/');
        if (!(path == type || path.EndsWith("/" + type, StringComparison.Ordinal)))
            return false;
        var query = QueryHelpers.ParseQuery(at < 0 ? "" : self[at..]);
        return query.TryGetValue("patient", out var patient) && patient.Count == 1 && (patient[0] == patientId || patient[0] == "Patient/" + patientId)
            && query.Keys.All(name => name == "patient" || s_unnarrowing.Contains(name));
    }

    /// <summary>Our key whose value is, by its template, the answer to <c>Patient/{{context.patientId}}</c>.</summary>
    private static bool IsContextPatientRead(CdsServiceDefinition service, string key) =>
        service.Prefetch.TryGetValue(key, out var template) && template == ContextPatientRead;

    private const string ContextPatientRead = "Patient/{{context.patientId}}";

    /// <summary>The resource with <c>id</c> set. The spec's own prefetch example sends the Patient without one; under
    /// our <c>patient</c> key it can only be the context patient, and without the id it would count as another patient
    /// (docs/fhir-push.md "Identity": an id-less resource is named by its content hash).</summary>
    private static byte[] WithId(PrefetchValue resource, string id)
    {
        // The body was read skipping comments, so the value may hold them (review s24-cds L6: a 500 here).
        var node = JsonNode.Parse(resource.Json.Span, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();
        node["id"] = id;
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }
}

/// <summary>A hook call or feedback the service cannot read, answered <see cref="Status"/> (400, or 413 for a body over
/// the limit) with an OperationOutcome; the message names fields, never values.</summary>
internal sealed class CdsRequestException(string message, int status = StatusCodes.Status400BadRequest) : Exception(message)
{
    public int Status { get; } = status;
}
