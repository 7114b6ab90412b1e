using System.Collections.Concurrent;
using FhirRisk.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FhirRisk.Server.Tests.CdsHooks;

internal enum FakeFhirMode
{
    Ok,
    Error500,
    Slow,

    /// <summary>Status and headers (a Content-Length of 100 000), a few bytes of the body, then nothing.</summary>
    StallBody,

    /// <summary>Every search page links a <c>next</c> page, without end.</summary>
    EndlessPages,

    /// <summary>As <see cref="EndlessPages"/>, each page after <see cref="FakeFhirServer.PageDelay"/>.</summary>
    SlowEndlessPages,

    /// <summary>Reads answer a Patient padded to about 100 kB, sent chunked (no Content-Length).</summary>
    HugeRead,

    /// <summary>A search's first page links a <c>next</c> page on another host (<c>localhost</c> for 127.0.0.1, as a server
    /// behind a proxy names itself).</summary>
    NextOnAnotherHost,

    /// <summary>A search's first page links a <c>next</c> page by a relative URL; that page has no next.</summary>
    RelativeNext,

    /// <summary>A search's first page links a <c>next</c> page that answers 410 Gone (an expired paging snapshot).</summary>
    LaterPageGone,
}

/// <summary>A FHIR server on 127.0.0.1 that answers reads with a Patient and searches with a one-entry searchset Bundle
/// (or fails, hangs, stalls its body, pages without end or answers too much); records paths and Authorization headers.
/// Every wait ends when the client goes away, and within 30 s.</summary>
internal sealed class FakeFhirServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeFhirServer(WebApplication app, int port) => (_app, Port) = (app, port);

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}/fhir";

    public FakeFhirMode Mode { get; set; }

    /// <summary>How long <see cref="FakeFhirMode.SlowEndlessPages"/> waits before each page.</summary>
    public TimeSpan PageDelay { get; set; } = TimeSpan.FromMilliseconds(300);

    public int Hits => Requests.Count;

    public ConcurrentQueue<(string PathAndQuery, string Authorization)> Requests { get; } = new();

    /// <summary>A search asking for more than this many a page (<c>_count</c>) is answered 400, as some servers do.</summary>
    public int? RefuseCountAbove { get; set; }

    /// <summary>A search naming a <c>_sort</c> is answered <see cref="RefusalStatus"/>, as a server that supports no
    /// sorting (or a gateway that allow-lists parameters) may.</summary>
    public bool RefuseSort { get; set; }

    /// <summary>The status of a <see cref="RefuseSort"/> refusal (default 400).</summary>
    public int RefusalStatus { get; set; } = 400;

    /// <summary>Resource types answered with a status of their own and no body, whatever the mode.</summary>
    public ConcurrentDictionary<string, int> StatusByType { get; } = new(StringComparer.Ordinal);

    public static async Task<FakeFhirServer> StartAsync(FakeFhirMode mode = FakeFhirMode.Ok)
    {
        FakeFhirServer? self = null;
        var (app, port) = await LoopbackHttpApp.StartAsync(async http =>
        {
            self!.Requests.Enqueue((http.Request.Path + http.Request.QueryString, http.Request.Headers.Authorization.ToString()));
            var requested = (http.Request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) ?? "";
            if (self.StatusByType.TryGetValue(requested, out var status))
            {
                http.Response.StatusCode = status;
                return;
            }
            if (self.RefuseCountAbove is { } most && int.TryParse(http.Request.Query["_count"].ToString(), out var count) && count > most)
            {
                http.Response.StatusCode = 400;
                return;
            }
            if (self.RefuseSort && http.Request.Query.ContainsKey("_sort"))
            {
                http.Response.StatusCode = self.RefusalStatus;
                return;
            }
            switch (self.Mode)
            {
                case FakeFhirMode.Error500:
                    http.Response.StatusCode = 500;
                    return;
                case FakeFhirMode.Slow:
                    await WaitAsync(TimeSpan.FromSeconds(30), http.RequestAborted);
                    return;
                case FakeFhirMode.StallBody:
                    http.Response.ContentType = "application/fhir+json";
                    http.Response.ContentLength = 100_000;
                    await http.Response.WriteAsync("""{"resourceType":"Bundle",""", http.RequestAborted);
                    await http.Response.Body.FlushAsync(http.RequestAborted);
                    await WaitAsync(TimeSpan.FromSeconds(30), http.RequestAborted);
                    http.Abort(); // never complete the promised body
                    return;
                case FakeFhirMode.SlowEndlessPages:
                    await WaitAsync(self.PageDelay, http.RequestAborted);
                    break;
            }
            http.Response.ContentType = "application/fhir+json";
            var path = http.Request.Path.Value ?? "";
            var type = path.Split('/', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) ?? "";
            var isRead = path.Count(c => c == '/') >= 3;
            var padding = self.Mode == FakeFhirMode.HugeRead && isRead
                ? $$""","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">{{new string('x', 100_000)}}</div>"}"""
                : "";
            var laterPage = http.Request.Query.ContainsKey("page");
            if (self.Mode == FakeFhirMode.LaterPageGone && laterPage)
            {
                http.Response.StatusCode = 410;
                return;
            }
            var next = self.Mode switch
            {
                FakeFhirMode.EndlessPages or FakeFhirMode.SlowEndlessPages => $$""","link":[{"relation":"next","url":"{{self.BaseUrl}}/{{type}}?page={{Guid.NewGuid():N}}"}]""",
                FakeFhirMode.NextOnAnotherHost when !laterPage => $$""","link":[{"relation":"next","url":"{{self.BaseUrl.Replace("127.0.0.1", "localhost", StringComparison.Ordinal)}}/{{type}}?page=2"}]""",
                FakeFhirMode.RelativeNext or FakeFhirMode.LaterPageGone when !laterPage => $$""","link":[{"relation":"next","url":"{{type}}?page=2"}]""",
                _ => "",
            };
            await http.Response.WriteAsync(isRead
                ? $$"""{"resourceType":"{{type}}","id":"p1","gender":"female","birthDate":"1950-01-01"{{padding}}}"""
                : """{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":""" + "\"" + type + "\"" + ""","id":"x1","subject":{"reference":"Patient/p1"}}}]""" + next + "}");
        });
        self = new FakeFhirServer(app, port) { Mode = mode };
        return self;
    }

    private static Task WaitAsync(TimeSpan delay, CancellationToken aborted) =>
        Task.Delay(delay, aborted).ContinueWith(_ => { }, TaskScheduler.Default);

    /// <summary>A base URL where nothing listens (a port just released).</summary>
    public static string DownUrl()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}/fhir";
    }

    public ValueTask DisposeAsync() => LoopbackHttpApp.StopAsync(_app);
}
