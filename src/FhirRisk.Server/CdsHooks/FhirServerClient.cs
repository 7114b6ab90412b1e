using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using FhirRisk.Fhir;
using FhirRisk.Fhir.Push;
using FhirRisk.Server.Http;
using FhirRisk.Server.Patients;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace FhirRisk.Server.CdsHooks;

/// <summary>What one prefetch key's fetch produced: FHIR JSON documents (a read, or each page of a search), each read once
/// as the prediction reads it, and, when the key was not had in full, why (<see cref="Problem"/>, null when it was). Only
/// <see cref="FetchFailure.PageLimitReached"/> comes with documents.</summary>
internal sealed record FhirFetchResult(IReadOnlyList<SuppliedFhirDocument> Documents, FetchProblem? Problem)
{
    public static FhirFetchResult Failed(FetchFailure failure) => Failed(new FetchProblem(failure));

    public static FhirFetchResult Failed(FetchProblem problem) => new([], problem);
}

/// <summary>One answer of the FHIR server: its status and, for a success, its whole body.</summary>
internal sealed record FhirPage(HttpStatusCode Status, byte[] Body)
{
    /// <summary>How long the server asked to be left alone (<c>Retry-After</c>, RFC 9110 §10.2.3) with a 429 or 503; null
    /// when it did not say.</summary>
    public TimeSpan? RetryAfter { get; init; }
}

/// <summary>A FHIR server's answers for one key were longer than <c>CdsHooks:Fhir:MaxBytesPerKey</c>, or, with
/// <paramref name="wholeCall"/>, those of every key of the call longer than <c>MaxBytesPerCall</c>.</summary>
internal sealed class FhirResponseTooLargeException(bool wholeCall = false) : Exception("the FHIR server's response is over the size limit")
{
    public bool WholeCall { get; } = wholeCall;
}

/// <summary>
/// Reads from the CDS client's FHIR server (a typed HttpClient from HttpClientFactory) through the server's
/// <see cref="FhirResiliencePipelines"/> pipeline, with the client's <c>fhirAuthorization</c> bearer token.
/// Searchset pages are followed through <c>link[next]</c> on the same server, up to <c>MaxPages</c>. One key — every
/// page, attempt, retry and body — is bounded by <c>TotalTimeout</c> and <c>MaxBytesPerKey</c>; a key waits for one of
/// its issuer's <see cref="FhirServerSlots"/> at the server first.
/// </summary>
internal sealed class FhirServerClient(HttpClient http, FhirResiliencePipelines pipelines, FhirFetchOptions options, TimeProvider time,
    FhirReading? reading = null, FhirSearchMemory? memory = null, FhirServerSlots? slots = null)
{
    private readonly FhirSearchMemory _memory = memory ?? new FhirSearchMemory(time);
    private readonly FhirServerSlots _slots = slots ?? new FhirServerSlots(options.MaxRequestsPerServer);

    /// <summary>The slots this client's keys wait for: the service's one <see cref="FhirServerSlots"/> when built by
    /// dependency injection (a client built without it, in a test, has its own).</summary>
    internal FhirServerSlots Slots => _slots;

    /// <param name="issuer">The calling CDS client's issuer ("" without one): its own circuit on this server.</param>
    /// <param name="bytes">The call's bytes: each page's body is counted against them as it is read, attempts that fail
    /// included.</param>
    /// <exception cref="CallBytesExhaustedException">The calls in flight hold the whole budget: the call is answered 503,
    /// the key is not reported as failed.</exception>
    public async Task<FhirFetchResult> FetchAsync(Uri fhirServer, string relativeUrl, string? accessToken, string issuer, CallBytes bytes,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(fhirServer);
        ArgumentNullException.ThrowIfNull(relativeUrl);
        var asked = relativeUrl.TrimStart('/');
        // What the service adds to a search of its own (a page size, newest first) some servers refuse rather than ignore
        // or cap (review s19-changes H1) — with a 400, or, behind gateways that allow-list parameters, a 403, 405 or 422
        // (review s20 L2): the first page refused so, the search is asked again with one addition fewer — the sort first,
        // then the page size, then neither — down to the template's own words. (A 501 says the search itself is not
        // implemented, whatever its parameters.) What was refused is remembered for an hour per client, server and type
        // (FhirSearchMemory), so later calls start without it — only on evidence: a form with fewer additions answered
        // where one with more was refused, in the same call. A search refused in every form teaches nothing (a 403 may
        // be one patient's or one user's).
        // One budget for the key, whichever forms it takes.
        var deadline = time.GetUtcNow() + options.TotalTimeout;
        using var budget = new CancellationTokenSource(options.TotalTimeout, time);
        using var keyToken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budget.Token);
        var refused = _memory.Refused(issuer, fhirServer, asked);
        var forms = SearchForms(asked, refused.HasFlag(SearchAdditions.PageSize) ? 0 : options.PageSize, options.NewestFirst && !refused.HasFlag(SearchAdditions.NewestFirst));
        FhirFetchResult? result = null;
        for (var i = 0; i < forms.Count; i++)
        {
            result = await FetchPagesAsync(fhirServer, forms[i].Url, accessToken, issuer, bytes, cancellationToken, budget.Token, keyToken.Token,
                deadline).ConfigureAwait(false);
            var refusal = result.Problem is { Page: 0, HttpStatus: 400 or 403 or 405 or 422 };
            if (!refusal && i > 0 && result.Problem is null or { Kind: FetchFailure.PageLimitReached or FetchFailure.SearchCutShort })
                _memory.Remember(issuer, fhirServer, asked, refused | (forms[0].Additions & ~forms[i].Additions));
            if (!refusal)
                break;
        }
        return result!;
    }

    /// <param name="budget">The key's <c>TotalTimeout</c>.</param>
    /// <param name="key">The caller's token and <paramref name="budget"/> together.</param>
    /// <param name="deadline">When <paramref name="budget"/> runs out.</param>
    private async Task<FhirFetchResult> FetchPagesAsync(Uri fhirServer, string relativeUrl, string? accessToken, string issuer, CallBytes bytes,
        CancellationToken cancellationToken, CancellationToken budget, CancellationToken key, DateTimeOffset deadline)
    {
        // One of the issuer's slots at this server first (FhirServerSlots), waited for within the key's budget and held
        // through every page and retry of this form; the wait is outside the pipeline, so it is neither an attempt nor a
        // failure of the server. A slot granted with less than MinimumSendBudget left is not used: the request would be
        // cut off in flight, after the server did the work.
        FhirServerSlots.Lease slot;
        try
        {
            slot = await _slots.EnterAsync(fhirServer, issuer, key).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return FhirFetchResult.Failed(FetchFailure.TimedOut);
        }
        using var held = slot;
        if (deadline - time.GetUtcNow() < MinimumSendBudget(options))
            return FhirFetchResult.Failed(FetchFailure.TimedOut);
        var pipeline = pipelines.For(fhirServer, issuer);
        var documents = new List<SuppliedFhirDocument>();
        long bytesRead = 0;
        Uri? next = new(fhirServer.AbsoluteUri.TrimEnd('/') + "/" + relativeUrl);
        FetchProblem? cutShort = null; // a search that goes on where it is not followed, or whose later page is gone
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
                            var attempt = await GetAsync(url, accessToken, options.MaxBytesPerKey - bytesRead, bytes, token).ConfigureAwait(false);
                            if (!IsSuccess(attempt.Status) && attempt.Status is not (HttpStatusCode.NotFound or HttpStatusCode.Gone))
                                firstFailure ??= ProblemOf(attempt.Status);
                            return attempt;
                        }
                        catch (Exception e) when (AttemptFailure(e, token, key) is { } failure)
                        {
                            firstFailure ??= new FetchProblem(failure);
                            throw;
                        }
                    },
                    key).ConfigureAwait(false);
            }
            catch (Exception e) when (Classify(e, cancellationToken, budget) is var failure and not FetchFailure.None)
            {
                return Dropped(new FetchProblem(failure) { FirstAttempt = firstFailure }, bytesRead);
            }
            // The resource does not exist: no data, not an outage. A later page gone (an expired paging snapshot) leaves
            // the pages read, which are not the whole search.
            if (answer.Status is HttpStatusCode.NotFound or HttpStatusCode.Gone)
                return new FhirFetchResult(documents, page == 0 ? null : new FetchProblem(FetchFailure.SearchCutShort, (int)answer.Status) { Page = page });
            if (!IsSuccess(answer.Status))
                return Dropped(ProblemOf(answer.Status) with { FirstAttempt = firstFailure, Page = page }, bytesRead);
            if (!TryReadPage(answer.Body, fhirServer, out var read, out var link))
                return Dropped(new FetchProblem(FetchFailure.UnreadableResponse), bytesRead + answer.Body.Length);
            next = link.Url;
            if (link.NotFollowed)
                cutShort = new FetchProblem(FetchFailure.SearchCutShort) { Page = page };
            bytesRead += answer.Body.Length;
            documents.Add(read);
        }
        // A search cut short is data, but not all of it: the cards must say so (docs/cds-hooks.md "Prefetch").
        return new FhirFetchResult(documents, next is not null ? new FetchProblem(FetchFailure.PageLimitReached) : cutShort);

        // A failed key's pages are not used: their bytes go back to the call's other keys and to other calls.
        FhirFetchResult Dropped(FetchProblem problem, long counted)
        {
            bytes.ReturnFetched(counted);
            return FhirFetchResult.Failed(problem);
        }
    }

    private static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and <= 299;

    /// <summary>The least of a key's budget worth sending a request with: 250 ms, or the attempt timeout if shorter.</summary>
    internal static TimeSpan MinimumSendBudget(FhirFetchOptions options) =>
        options.AttemptTimeout < TimeSpan.FromMilliseconds(250) ? options.AttemptTimeout : TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// A type search (<c>Type?…</c>) that names no <c>_count</c> asks for <paramref name="pageSize"/> resources a page
    /// (0: the server's default); a read, or a search with its own <c>_count</c>, is left as it is (the same string). Later
    /// pages follow the server's <c>next</c> links, which carry what the server made of it.
    /// </summary>
    internal static string WithPageSize(string relativeUrl, int pageSize) =>
        pageSize <= 0 ? relativeUrl : WithParameter(relativeUrl, "_count", pageSize.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// The forms of a search to ask, most asked first: with the page size and the newest-first sort the service adds
    /// (<see cref="WithPageSize"/>, <see cref="WithNewestFirst"/>), then without the sort, then without the page size,
    /// then as the template reads. Each form once; a read, or a search naming both itself, has one form.
    /// </summary>
    internal static IReadOnlyList<(string Url, SearchAdditions Additions)> SearchForms(string relativeUrl, int pageSize, bool newestFirst)
    {
        var sized = WithPageSize(relativeUrl, pageSize);
        var sortedOnly = newestFirst ? WithNewestFirst(relativeUrl) : relativeUrl;
        var sizedAndSorted = newestFirst ? WithNewestFirst(sized) : sized;
        var (size, sort) = (Added(sized, SearchAdditions.PageSize), Added(sortedOnly, SearchAdditions.NewestFirst));
        (string, SearchAdditions)[] forms = [(sizedAndSorted, size | sort), (sized, size), (sortedOnly, sort), (relativeUrl, SearchAdditions.None)];
        return [.. forms.DistinctBy(f => f.Item1, StringComparer.Ordinal)];

        SearchAdditions Added(string form, SearchAdditions addition) => form == relativeUrl ? SearchAdditions.None : addition;
    }

    /// <summary>A type search (<c>Type?…</c>) that names no <c>_sort</c> asks for the most recently updated resources
    /// first (<c>_sort=-_lastUpdated</c>); a read, or a search with its own <c>_sort</c>, is left as it is.</summary>
    internal static string WithNewestFirst(string relativeUrl) => WithParameter(relativeUrl, "_sort", "-_lastUpdated");

    private static string WithParameter(string relativeUrl, string name, string value)
    {
        var query = relativeUrl.IndexOf('?', StringComparison.Ordinal);
        if (query <= 0 || relativeUrl.AsSpan(0, query).Contains('/'))
            return relativeUrl;
        // Named already, or with a modifier (DSTU2's _sort:desc=date).
        if (relativeUrl[(query + 1)..].Split('&').Any(p => p.StartsWith(name, StringComparison.Ordinal) && p.Length > name.Length && p[name.Length] is '=' or ':'))
            return relativeUrl;
        var separator = relativeUrl.EndsWith('?') || relativeUrl.EndsWith('&') ? "" : "&";
        return $"{relativeUrl}{separator}{name}={value}";
    }

    /// <summary>A status that is not an answer: 401/403 refused the token, any other a server error; with the status.</summary>
    private static FetchProblem ProblemOf(HttpStatusCode status) =>
        new(status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? FetchFailure.Unauthorized : FetchFailure.ServerError, (int)status);

    /// <summary>What one attempt's exception was: the attempt's own timeout (its token cancelled, the key's not), a
    /// broken connection or body; null for anything else (the key's budget, the caller leaving, a body too large).</summary>
    private static FetchFailure? AttemptFailure(Exception e, CancellationToken attempt, CancellationToken key) => e switch
    {
        OperationCanceledException when attempt.IsCancellationRequested && !key.IsCancellationRequested => FetchFailure.TimedOut,
        HttpRequestException when FhirAddressNotAllowedException.IsCauseOf(e) => FetchFailure.AddressNotAllowed,
        HttpRequestException or IOException => FetchFailure.Unreachable,
        _ => null,
    };

    /// <summary>The wait a 429 or 503 asks for: seconds, or a date from now (never less than nothing).</summary>
    private TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable) || response.Headers.RetryAfter is not { } after)
            return null;
        var wait = after.Delta ?? (after.Date is { } date ? date - time.GetUtcNow() : null);
        return wait is { } w && w < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    /// <summary>One attempt: the request and, for a success, its body, read within the attempt's time and at most
    /// <paramref name="maxBytes"/> long.</summary>
    private async Task<FhirPage> GetAsync(Uri url, string? accessToken, long maxBytes, CallBytes bytes, CancellationToken cancellationToken)
    {
        using var request = Request(url, accessToken);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            return new FhirPage(response.StatusCode, []) { RetryAfter = RetryAfterOf(response) };
        return new FhirPage(response.StatusCode, await ReadBodyAsync(response.Content, maxBytes, bytes, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContent content, long maxBytes, CallBytes bytes, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > maxBytes)
            throw new FhirResponseTooLargeException();
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new ChunkedBody();
            int read;
            var kept = false;
            try
            {
                while ((read = await buffer.ReadAsync(stream, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (buffer.Length + read > maxBytes)
                        throw new FhirResponseTooLargeException();
                    if (!bytes.TryTakeFetched(read))
                        throw new FhirResponseTooLargeException(wholeCall: true);
                    buffer.Keep(read);
                }
                kept = true;
                return buffer.ToArray();
            }
            finally
            {
                // A body that is not kept (too large, cut off, timed out) holds nothing: the call's other keys may use it.
                if (!kept)
                    bytes.ReturnFetched(buffer.Length);
            }
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
        HttpRequestException when FhirAddressNotAllowedException.IsCauseOf(e) => FetchFailure.AddressNotAllowed,
        HttpRequestException or IOException => FetchFailure.Unreachable,
        FhirResponseTooLargeException { WholeCall: true } => FetchFailure.CallResponsesTooLarge,
        FhirResponseTooLargeException => FetchFailure.ResponseTooLarge,
        _ => FetchFailure.None,
    };

    /// <summary>The envelope of a page is read with the nesting limit of System.Text.Json's documents (64 levels), which
    /// judged pages until they were read once: a page nested deeper is not FHIR JSON here, as it was not then.</summary>
    private static readonly FhirReaderSettings PageEnvelope = FhirReaderSettings.Default with { MaxDepth = 64 - FhirPushReader.EnvelopeLevels };

    /// <summary>
    /// Reads the body once, as the prediction reads a supplied document (<see cref="SuppliedFhirDocument"/>), and from that
    /// reading checks that it is FHIR JSON — JSON text of an object with a string <c>resourceType</c> — and finds a
    /// same-server <c>next</c> link of a Bundle. A body the FHIR reader could not read as such is judged by
    /// <see cref="TryNextPageOfText"/>, as every page was before: that keeps a page the reader refuses for a string that is
    /// not UTF-8 text, or for a null <c>resourceType</c>, which the prediction then refuses (400), where it always has.
    /// </summary>
    private bool TryReadPage(byte[] body, Uri fhirServer, out SuppliedFhirDocument page, out NextLink next)
    {
        page = (reading ?? FhirReading.Utc).Read(body, PageEnvelope);
        if (page.Envelope.ResourceType is not { } type)
            return TryNextPageOfText(body, fhirServer, out next);
        next = default;
        // The FHIR reader skips a byte order mark; System.Text.Json's documents refused one (RFC 8259 §8.1 allows either),
        // so such a page stays "no FHIR JSON".
        if (body.AsSpan().StartsWith(Utf8Bom.Bytes))
            return false;
        if (type == "Bundle")
            next = NextPage(page.Envelope.Links.Select(l => (l.Relation, l.Url)), fhirServer);
        return true;
    }

    /// <summary>Checks with System.Text.Json that the body is JSON of an object with a <c>resourceType</c> (a string or
    /// null; any other value is not FHIR JSON), and finds a same-server <c>next</c> link of a Bundle.</summary>
    private static bool TryNextPageOfText(byte[] body, Uri fhirServer, out NextLink next)
    {
        next = default;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("resourceType", out var type))
                return false;
            if (type.GetString() != "Bundle" || !root.TryGetProperty("link", out var links) || links.ValueKind != JsonValueKind.Array)
                return true;
            next = NextPage(links.EnumerateArray().Where(l => l.ValueKind == JsonValueKind.Object).Select(l => (TextOf(l, "relation"), TextOf(l, "url"))), fhirServer);
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return false;
        }

        static string? TextOf(JsonElement link, string name) =>
            link.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    /// <summary>The last <c>next</c> link whose URL lies under <paramref name="fhirServer"/> — its scheme, host and port,
    /// and its base path or below, with no dot segment left once decoded (a relative one read against
    /// <paramref name="fhirServer"/>) — and whether a <c>next</c> link was there that is not: a search that goes on where
    /// the service does not follow it (another host, as a server behind a proxy names itself; another path of the host,
    /// outside what the issuer may name; a URL that is none), whose pages read are then not the whole result (review
    /// s24-cds M2). Under the base only: the client's token must not be sent where the call's <c>fhirServer</c> could not
    /// be (review s24-changes M2: <c>../../tenant-b/…</c> left an issuer's allowed prefix).</summary>
    private static NextLink NextPage(IEnumerable<(string? Relation, string? Url)> links, Uri fhirServer)
    {
        var next = default(NextLink);
        var basePath = fhirServer.GetLeftPart(UriPartial.Path).TrimEnd('/');
        var root = new Uri(basePath + "/");
        foreach (var (relation, url) in links)
        {
            if (relation != "next")
                continue;
            if (Uri.TryCreate(root, url, out var uri) && uri.Scheme == fhirServer.Scheme && IsUnder(uri.GetLeftPart(UriPartial.Path), basePath)
                && !FhirServerPolicy.HasDotSegment(uri))
                next = next with { Url = uri };
            else
                next = next with { NotFollowed = true };
        }
        return next.Url is null ? next : next with { NotFollowed = false };

        static bool IsUnder(string path, string basePath) =>
            path.Equals(basePath, StringComparison.OrdinalIgnoreCase) || path.StartsWith(basePath + "/", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A page's <c>next</c> link: the URL to follow, or none; and whether one was given that is not followed.</summary>
    private readonly record struct NextLink(Uri? Url, bool NotFollowed);
}
