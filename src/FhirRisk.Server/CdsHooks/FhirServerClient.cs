using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace FhirRisk.Server.CdsHooks;

/// <summary>Why a prefetch key could not be had; <see cref="None"/> when it was.</summary>
internal enum FetchFailure
{
    None,
    NoFhirServer,
    ServerNotAllowed,
    TemplateUnrenderable,
    Unauthorized,
    Unreachable,
    TimedOut,
    ServerError,
    CircuitOpen,
    UnreadableResponse,
}

/// <summary>What one prefetch key's fetch produced: FHIR JSON documents (a read, or each page of a search).</summary>
internal sealed record FhirFetchResult(IReadOnlyList<ReadOnlyMemory<byte>> Documents, FetchFailure Failure)
{
    public static FhirFetchResult Failed(FetchFailure failure) => new([], failure);
}

/// <summary>
/// Reads from the CDS client's FHIR server (a typed HttpClient from HttpClientFactory) through the server's
/// <see cref="FhirResiliencePipelines"/> pipeline, with the client's <c>fhirAuthorization</c> bearer token.
/// Searchset pages are followed through <c>link[next]</c> on the same server, up to <c>MaxPages</c>.
/// </summary>
internal sealed class FhirServerClient(HttpClient http, FhirResiliencePipelines pipelines, FhirFetchOptions options)
{
    public async Task<FhirFetchResult> FetchAsync(Uri fhirServer, string relativeUrl, string? accessToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fhirServer);
        var pipeline = pipelines.For(fhirServer);
        var documents = new List<ReadOnlyMemory<byte>>();
        Uri? next = new(fhirServer.AbsoluteUri.TrimEnd('/') + "/" + relativeUrl.TrimStart('/'));
        for (var page = 0; next is not null && page < options.MaxPages; page++)
        {
            var url = next;
            HttpResponseMessage response;
            try
            {
                response = await pipeline.ExecuteAsync(
                    async token => await http.SendAsync(Request(url, accessToken), HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (Classify(e, cancellationToken) is var failure and not FetchFailure.None)
            {
                return FhirFetchResult.Failed(failure);
            }
            using (response)
            {
                if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
                    return new FhirFetchResult(documents, FetchFailure.None); // the resource does not exist: no data, not an outage
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    return FhirFetchResult.Failed(FetchFailure.Unauthorized);
                if (!response.IsSuccessStatusCode)
                    return FhirFetchResult.Failed(FetchFailure.ServerError);
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                if (!TryNextPage(body, fhirServer, out next))
                    return FhirFetchResult.Failed(FetchFailure.UnreadableResponse);
                documents.Add(body);
            }
        }
        return new FhirFetchResult(documents, FetchFailure.None);
    }

    private static HttpRequestMessage Request(Uri url, string? accessToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
        if (!string.IsNullOrEmpty(accessToken))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return request;
    }

    private static FetchFailure Classify(Exception e, CancellationToken cancellationToken) => e switch
    {
        _ when cancellationToken.IsCancellationRequested => FetchFailure.None, // the caller went away: let it propagate
        BrokenCircuitException => FetchFailure.CircuitOpen,
        TimeoutRejectedException or TaskCanceledException => FetchFailure.TimedOut,
        HttpRequestException => FetchFailure.Unreachable,
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
