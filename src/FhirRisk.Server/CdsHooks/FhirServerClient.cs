using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace FhirRisk.Server.CdsHooks;

/// <summary>What one prefetch key's fetch produced: FHIR JSON documents (a read, or each page of a search) and, when
/// the key was not had in full, why (<see cref="Problem"/>, null when it was). Only
/// <see cref="FetchFailure.PageLimitReached"/> comes with documents.</summary>
internal sealed record FhirFetchResult(IReadOnlyList<ReadOnlyMemory<byte>> Documents, FetchProblem? Problem)
{
    public static FhirFetchResult Failed(FetchFailure failure) => Failed(new FetchProblem(failure));

    public static FhirFetchResult Failed(FetchProblem problem) => new([], problem);
}

/// <summary>One answer of the FHIR server: its status and, for a success, its whole body.</summary>
internal sealed record FhirPage(HttpStatusCode Status, byte[] Body);

/// <summary>A FHIR server's answers for one key were longer than <c>CdsHooks:Fhir:MaxBytesPerKey</c>.</summary>
internal sealed class FhirResponseTooLargeException() : Exception("the FHIR server's response is over the size limit");

/// <summary>
/// Reads from the CDS client's FHIR server (a typed HttpClient from HttpClientFactory) through the server's
/// <see cref="FhirResiliencePipelines"/> pipeline, with the client's <c>fhirAuthorization</c> bearer token.
/// Searchset pages are followed through <c>link[next]</c> on the same server, up to <c>MaxPages</c>. One key — every
/// page, attempt, retry and body — is bounded by <c>TotalTimeout</c> and <c>MaxBytesPerKey</c>.
/// </summary>
internal sealed class FhirServerClient(HttpClient http, FhirResiliencePipelines pipelines, FhirFetchOptions options, TimeProvider time)
{
    public async Task<FhirFetchResult> FetchAsync(Uri fhirServer, string relativeUrl, string? accessToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fhirServer);
        var pipeline = pipelines.For(fhirServer);
        using var budget = new CancellationTokenSource(options.TotalTimeout, time);
        using var keyToken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budget.Token);
        var documents = new List<ReadOnlyMemory<byte>>();
        long bytesRead = 0;
        Uri? next = new(fhirServer.AbsoluteUri.TrimEnd('/') + "/" + relativeUrl.TrimStart('/'));
        for (var page = 0; next is not null && page < options.MaxPages; page++)
        {
            var url = next;
            // The first failed attempt of this page, kept so that the cause survives the retries (a 503, then an open
            // circuit, is reported as both). Attempts of one key run one after another: no race on it.
            FetchProblem? firstFailure = null;
            FhirPage answer;
            try
            {
                answer = await pipeline.ExecuteAsync(
                    async token =>
                    {
                        try
                        {
                            var attempt = await GetAsync(url, accessToken, options.MaxBytesPerKey - bytesRead, token).ConfigureAwait(false);
                            if (!IsSuccess(attempt.Status) && attempt.Status is not (HttpStatusCode.NotFound or HttpStatusCode.Gone))
                                firstFailure ??= ProblemOf(attempt.Status);
                            return attempt;
                        }
                        catch (Exception e) when (AttemptFailure(e, token, keyToken.Token) is { } failure)
                        {
                            firstFailure ??= new FetchProblem(failure);
                            throw;
                        }
                    },
                    keyToken.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (Classify(e, cancellationToken, budget.Token) is var failure and not FetchFailure.None)
            {
                return FhirFetchResult.Failed(new FetchProblem(failure) { FirstAttempt = firstFailure });
            }
            if (answer.Status is HttpStatusCode.NotFound or HttpStatusCode.Gone)
                return new FhirFetchResult(documents, null); // the resource does not exist: no data, not an outage
            if (!IsSuccess(answer.Status))
                return FhirFetchResult.Failed(ProblemOf(answer.Status) with { FirstAttempt = firstFailure });
            if (!TryNextPage(answer.Body, fhirServer, out next))
                return FhirFetchResult.Failed(FetchFailure.UnreadableResponse);
            bytesRead += answer.Body.Length;
            documents.Add(answer.Body);
        }
        // A search cut short is data, but not all of it: the cards must say so (docs/cds-hooks.md "Prefetch").
        return new FhirFetchResult(documents, next is null ? null : new FetchProblem(FetchFailure.PageLimitReached));
    }

    private static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and <= 299;

    /// <summary>A status that is not an answer: 401/403 refused the token, any other a server error; with the status.</summary>
    private static FetchProblem ProblemOf(HttpStatusCode status) =>
        new(status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? FetchFailure.Unauthorized : FetchFailure.ServerError, (int)status);

    /// <summary>What one attempt's exception was: the attempt's own timeout (its token cancelled, the key's not), a
    /// broken connection or body; null for anything else (the key's budget, the caller leaving, a body too large).</summary>
    private static FetchFailure? AttemptFailure(Exception e, CancellationToken attempt, CancellationToken key) => e switch
    {
        OperationCanceledException when attempt.IsCancellationRequested && !key.IsCancellationRequested => FetchFailure.TimedOut,
        HttpRequestException or IOException => FetchFailure.Unreachable,
        _ => null,
    };

    /// <summary>One attempt: the request and, for a success, its body, read within the attempt's time and at most
    /// <paramref name="maxBytes"/> long.</summary>
    private async Task<FhirPage> GetAsync(Uri url, string? accessToken, long maxBytes, CancellationToken cancellationToken)
    {
        using var request = Request(url, accessToken);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            return new FhirPage(response.StatusCode, []);
        return new FhirPage(response.StatusCode, await ReadBodyAsync(response.Content, maxBytes, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContent content, long maxBytes, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > maxBytes)
            throw new FhirResponseTooLargeException();
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                    throw new FhirResponseTooLargeException();
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
    }

    private static HttpRequestMessage Request(Uri url, string? accessToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
        if (!string.IsNullOrEmpty(accessToken))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return request;
    }

    private static FetchFailure Classify(Exception e, CancellationToken cancellationToken, CancellationToken budget) => e switch
    {
        _ when cancellationToken.IsCancellationRequested => FetchFailure.None, // the caller went away: let it propagate
        OperationCanceledException when budget.IsCancellationRequested => FetchFailure.TimedOut,
        BrokenCircuitException => FetchFailure.CircuitOpen,
        TimeoutRejectedException or TaskCanceledException => FetchFailure.TimedOut,
        HttpRequestException or IOException => FetchFailure.Unreachable,
        FhirResponseTooLargeException => FetchFailure.ResponseTooLarge,
        _ => FetchFailure.None,
    };

    /// <summary>Checks the body is a FHIR JSON object and finds a same-server <c>next</c> link of a Bundle.</summary>
    private static bool TryNextPage(byte[] body, Uri fhirServer, out Uri? next)
    {
        next = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("resourceType", out var type))
                return false;
            if (type.GetString() != "Bundle" || !root.TryGetProperty("link", out var links) || links.ValueKind != JsonValueKind.Array)
                return true;
            foreach (var link in links.EnumerateArray())
            {
                if (link.TryGetProperty("relation", out var relation) && relation.GetString() == "next"
                    && link.TryGetProperty("url", out var url) && Uri.TryCreate(url.GetString(), UriKind.Absolute, out var uri)
                    && uri.GetLeftPart(UriPartial.Authority).Equals(fhirServer.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
                    next = uri;
            }
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
