using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using FhirRisk.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>A FHIR server on 127.0.0.1 that holds one patient's record (the entries of a Bundle, each with its fullUrl)
/// and answers the prefetch templates' queries from it: <c>Patient/{id}</c>, and <c>{Type}?patient={id}</c> as searchset
/// pages of <see cref="PageSize"/> entries linked by <c>next</c>. Like most servers it answers a search in the order the
/// resources were stored (the entries' order) unless asked for <c>_sort=-_lastUpdated</c>: then the most recently updated
/// first (by <c>meta.lastUpdated</c>, entries without one by their place). Other <c>_sort</c> values are answered 400.
/// Records each path and query.</summary>
internal sealed class RecordFhirServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordFhirServer(WebApplication app, int port) => (_app, BaseUrl) = (app, $"http://127.0.0.1:{port}/fhir");

    public string BaseUrl { get; }

    public int PageSize { get; init; } = 25;

    public ConcurrentQueue<string> Requests { get; } = new();

    public static async Task<RecordFhirServer> StartAsync(IReadOnlyList<JsonObject> entries, int pageSize)
    {
        RecordFhirServer? self = null;
        var (app, port) = await LoopbackHttpApp.StartAsync(async http =>
        {
            self!.Requests.Enqueue(http.Request.Path + http.Request.QueryString);
            var parts = (http.Request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries); // fhir, Type[, id]
            var ofType = entries.Where(e => (string?)e["resource"]!["resourceType"] == parts.ElementAtOrDefault(1)).ToList();
            http.Response.ContentType = "application/fhir+json";
            if (parts.Length == 3)
            {
                var read = ofType.FirstOrDefault(e => (string?)e["resource"]!["id"] == parts[2]);
                if (read is null)
                    http.Response.StatusCode = StatusCodes.Status404NotFound;
                else
                    await http.Response.WriteAsync(read["resource"]!.ToJsonString(), http.RequestAborted);
                return;
            }
            var sort = http.Request.Query["_sort"].ToString();
            if (sort is not ("" or "-_lastUpdated"))
            {
                http.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            if (sort.Length > 0)
                ofType = [.. ofType.Select((e, i) => (Entry: e, Place: i))
                    .OrderByDescending(x => (string?)x.Entry["resource"]!["meta"]?["lastUpdated"] ?? "", StringComparer.Ordinal)
                    .ThenByDescending(x => x.Place)
                    .Select(x => x.Entry)];
            var page = int.TryParse(http.Request.Query["page"], out var n) ? n : 0;
            var bundle = new JsonObject
            {
                ["resourceType"] = "Bundle",
                ["type"] = "searchset",
                ["total"] = ofType.Count,
                ["entry"] = new JsonArray([.. ofType.Skip(page * self.PageSize).Take(self.PageSize).Select(e => e.DeepClone())]),
            };
            if ((page + 1) * self.PageSize < ofType.Count)
                bundle["link"] = new JsonArray(new JsonObject
                {
                    ["relation"] = "next",
                    ["url"] = $"{self.BaseUrl}/{parts[1]}?patient={Uri.EscapeDataString(http.Request.Query["patient"].ToString())}"
                        + (sort.Length > 0 ? $"&_sort={sort}" : "") + $"&page={page + 1}",
                });
            await http.Response.WriteAsync(bundle.ToJsonString(), http.RequestAborted);
        });
        self = new RecordFhirServer(app, port) { PageSize = pageSize };
        return self;
    }

    public ValueTask DisposeAsync() => LoopbackHttpApp.StopAsync(_app);
}
