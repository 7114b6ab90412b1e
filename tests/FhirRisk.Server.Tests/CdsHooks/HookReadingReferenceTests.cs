using System.Net;
using System.Text;
using System.Text.Json;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Patients;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>
/// What the CDS Hooks layer decides by, read once with the body or with the page, is what it decided by when it parsed
/// them as JSON documents first: the old checks, kept here as reference twins over <see cref="JsonElement"/> and
/// <see cref="JsonDocument"/>, judge each input as the new readings do.
/// </summary>
public sealed class HookReadingReferenceTests
{
    /// <summary>A prefetch value is read with the body as a <see cref="JsonElement"/> reads it (the reference: the
    /// gatherer's rules as they were written over <see cref="JsonElement"/>): the same kind, type, id and entry types,
    /// and exactly the bytes <see cref="JsonElement.GetRawText"/> gave, comments inside included.</summary>
    [Theory]
    [InlineData("""{"patient":{"resourceType":"Patient","id":"p1"},"none":null,"user":"123","n":7,"list":[{"resourceType":"Patient"}],"t":true}""")]
    [InlineData("""{"a":/* before */{"resourceType":"Patient", /* inside */ "id":"p1"}/* after */,"b":{ }}""")]
    [InlineData("""{"twice":{"resourceType":"Patient","resourceType":5,"id":"x","id":" "},"again":{"resourceType":7,"resourceType":"Encounter","id":{"a":1}}}""")]
    [InlineData("""{"escaped":{"resource\u0054ype":"Patient","\u0069d":"p\u00e9"},"oo":{"resourceType":"OperationOutcome","issue":[]}}""")]
    [InlineData("""{"s":{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Condition","id":"c1"}},{"resource":{"resourceType":"Condition"}}]}}""")]
    [InlineData("""{"s":{"resourceType":"Bundle","entry":[7,{"fullUrl":"x"},{"resource":[1]},{"resource":{"id":"x"}},{"resource":{"resourceType":5}},{"resource":{"resourceType":"Condition"},"resource":{"resourceType":"Observation"}}]}}""")]
    [InlineData("""{"s":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Condition"}}],"entry":{"a":1}},"e":{"resourceType":"Bundle","entry":[]},"deep":{"resourceType":"Bundle","x":[[[[{"entry":[1]}]]]]}}""")]
    public void A_prefetch_value_is_read_as_a_JsonElement_reads_it(string prefetch)
    {
        var body = Encoding.UTF8.GetBytes(CdsRequests.Hook("patient-view", prefetch: prefetch));
        using var reference = JsonDocument.Parse(body, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });

        var request = CdsHookRequest.Read(body)!;

        var expected = reference.RootElement.GetProperty("prefetch").EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
        Assert.Equal(expected.Keys.Order(), request.Prefetch!.Keys.Order());
        foreach (var (key, element) in expected)
        {
            var value = request.Prefetch[key];
            if (element.ValueKind == JsonValueKind.Null)
            {
                Assert.Null(value);
                continue;
            }
            Assert.NotNull(value);
            Assert.Equal(element.ValueKind, value.Kind);
            Assert.Equal(Encoding.UTF8.GetBytes(element.GetRawText()), value.Json.ToArray());
            Assert.Equal(ReferenceResourceType(element), value.ResourceType);
            Assert.Equal(element.ValueKind == JsonValueKind.Object && element.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null,
                value.Id);
            Assert.Equal(ReferenceEntryTypes(element), value.EntryTypes);
        }
    }

    [Fact]
    public void A_body_with_a_byte_order_mark_locates_its_prefetch_values_after_it()
    {
        var hook = CdsRequests.Hook("patient-view", prefetch: """{"patient":{"resourceType":"Patient","id":"p1"}}""");
        byte[] body = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(hook)];

        var request = CdsHookRequest.Read(body)!;

        Assert.Equal("""{"resourceType":"Patient","id":"p1"}""", Encoding.UTF8.GetString(request.Prefetch!["patient"]!.Json.Span));
    }

    [Fact]
    public void A_prefetch_member_the_gatherer_reads_that_is_not_UTF8_text_makes_the_body_invalid_JSON()
    {
        // As any other string of the call that is read (RFC 8259 §8.1); until read with the body it was a 500.
        byte[] body = [.. """{"hook":"patient-view","prefetch":{"patient":{"resourceType":"Pat"""u8, 0xC3, 0x28, .. """ient"}}}"""u8];

        var refused = Assert.Throws<JsonException>(() => CdsHookRequest.Read(body));

        Assert.Equal("$.prefetch.patient", refused.Path);
    }

    /// <summary>A FHIR server's page is judged from the FHIR reader's reading as it was from a System.Text.Json document
    /// (the reference below, the check as it was written before pages were read once): FHIR JSON or not, and which next
    /// page is followed.</summary>
    [Theory]
    [InlineData("""{"resourceType":"Bundle","type":"searchset","entry":[],"link":[{"relation":"self","url":"http://fhir.test/base/x"},{"relation":"next","url":"http://fhir.test/base/Observation?page=2"}]}""")]
    [InlineData("""{"resourceType":"Bundle","link":[{"relation":"next","url":"http://other.test/base/Observation?page=2"}]}""")]
    [InlineData("""{"resourceType":"Bundle","link":[{"relation":"next","url":"http://fhir.test/base/a"},{"relation":"next","url":"not a url"},{"relation":"next","url":"http://fhir.test/base/b"}]}""")]
    [InlineData("""{"resourceType":"Bundle","link":{"relation":"next","url":"http://fhir.test/base/a"}}""")]
    [InlineData("""{"resourceType":"Patient","id":"p","link":[{"relation":"next","url":"http://fhir.test/base/a"}]}""")]
    // Same host, outside the base (review s24-changes M2): not followed, and the search is cut short.
    [InlineData("""{"resourceType":"Bundle","link":[{"relation":"next","url":"http://fhir.test/other/Observation?page=2"}]}""")]
    [InlineData("""{"resourceType":"Bundle","link":[{"relation":"next","url":"../other/Observation?page=2"}]}""")]
    [InlineData("""{"resourceType":"Bundle","type":"searchset","entry":"nope","link":[{"relation":"next","url":"http://fhir.test/base/2"}]}""")]
    [InlineData("""{"type":"searchset","entry":[]}""")]
    [InlineData("""{"resourceType":null,"entry":[]}""")]
    [InlineData("""[{"resourceType":"Bundle"}]""")]
    [InlineData("""{"resourceType":"Bundle"} trailing""")]
    [InlineData("""{"resourceType":"Bundle", /* a comment */ "entry":[]}""")]
    [InlineData("""{"resourceType":"Bundle","entry":[""")]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("\uFEFF{\"resourceType\":\"Patient\",\"id\":\"p\"}")]
    public async Task A_page_is_judged_as_System_Text_Json_judged_it(string page) =>
        await AssertPageJudgedAsBeforeAsync(Encoding.UTF8.GetBytes(page));

    [Theory]
    [InlineData(62)]
    [InlineData(63)] // 64 levels with the root: the deepest System.Text.Json reads
    [InlineData(64)]
    [InlineData(66)] // within the FHIR reader's limit for a whole document (64 + 3 levels)
    public async Task A_page_nested_near_the_limit_is_judged_as_System_Text_Json_judged_it(int arrays) =>
        await AssertPageJudgedAsBeforeAsync(Encoding.UTF8.GetBytes(
            """{"resourceType":"Bundle","x":""" + new string('[', arrays) + new string(']', arrays) + "}"));

    [Fact]
    public async Task A_page_whose_fullUrl_is_not_UTF8_text_still_reaches_the_prediction_as_before()
    {
        // System.Text.Json's document does not decode strings it is not asked for; the FHIR reader refuses such a
        // document, so the page is judged by the reference, kept, and refused by the prediction (400) as it always was.
        byte[] page = [.. """{"resourceType":"Bundle","type":"searchset","entry":[{"fullUrl":"urn:uuid:"""u8, 0xC3, 0x28,
            .. "\",\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o1\"}}],\"link\":[{\"relation\":\"next\",\"url\":\"http://fhir.test/base/2\"}]}"u8];

        var documents = await AssertPageJudgedAsBeforeAsync(page);

        Assert.False(documents[0].Envelope.IsUsable);
    }

    private static async Task<IReadOnlyList<SuppliedFhirDocument>> AssertPageJudgedAsBeforeAsync(byte[] page)
    {
        var server = new Uri("http://fhir.test/base");
        var readable = ReferenceTryNextPage(page, server, out var next);
        var requests = new List<Uri>();
        var options = new FhirFetchOptions { MaxPages = 2 };
        var handler = new ScriptedHandler(request =>
        {
            requests.Add(request.RequestUri!);
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new ByteArrayContent(requests.Count == 1 ? page : """{"resourceType":"Bundle","type":"searchset","entry":[]}"""u8.ToArray()),
            };
        });
        var client = new FhirServerClient(new HttpClient(handler),
            new FhirResiliencePipelines(options, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance), options, TimeProvider.System);

        var result = await client.FetchAsync(server, "Observation?patient=p", null, "", TestCallBytes.Unbounded(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        // Since 2026-12-07 a next link that is not followed (another server) says the search was cut short (review
        // s24-cds M2), where the reference took the page for the whole result.
        var expected = !readable ? FetchFailure.UnreadableResponse : next is null && NextLinkIn(page) ? FetchFailure.SearchCutShort : (FetchFailure?)null;
        Assert.Equal(expected, result.Problem?.Kind);
        var first = new Uri("http://fhir.test/base/Observation?patient=p&_count=100&_sort=-_lastUpdated"); // the default page size and order asked for
        Assert.Equal(next is null ? [first] : [first, next], requests);
        Assert.Equal(readable ? requests.Count : 0, result.Documents.Count);
        if (readable)
            Assert.Equal(page, result.Documents[0].Json.ToArray());
        return result.Documents;
    }

    /// <summary>The page check as it was (FhirServerClient.TryNextPage before pages were read once), for the inputs it
    /// answered without throwing.</summary>
    private static bool ReferenceTryNextPage(byte[] body, Uri fhirServer, out Uri? next)
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
                // Since 2026-12-07 under the base path only (review s24-changes M2), where the host was enough.
                if (link.TryGetProperty("relation", out var relation) && relation.GetString() == "next"
                    && link.TryGetProperty("url", out var url) && Uri.TryCreate(url.GetString(), UriKind.Absolute, out var uri)
                    && (uri.GetLeftPart(UriPartial.Path) + "/").StartsWith(fhirServer.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/", StringComparison.OrdinalIgnoreCase))
                    next = uri;
            }
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Whether a readable Bundle page has a link array holding a <c>next</c> relation with a string url.</summary>
    private static bool NextLinkIn(byte[] page)
    {
        using var document = JsonDocument.Parse(page);
        var root = document.RootElement;
        return ReferenceResourceType(root) == "Bundle" && root.TryGetProperty("link", out var links) && links.ValueKind == JsonValueKind.Array
            && links.EnumerateArray().Any(l => l.ValueKind == JsonValueKind.Object && l.TryGetProperty("relation", out var r) && r.ValueKind == JsonValueKind.String
                && r.GetString() == "next" && l.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String);
    }

    private static string? ReferenceResourceType(JsonElement value) =>
        value.ValueKind == JsonValueKind.Object && value.TryGetProperty("resourceType", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;

    private static List<string?>? ReferenceEntryTypes(JsonElement value) =>
        value.ValueKind == JsonValueKind.Object && value.TryGetProperty("entry", out var entries) && entries.ValueKind == JsonValueKind.Array
            ? [.. entries.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("resource", out var r) ? ReferenceResourceType(r) : null)]
            : null;

    private sealed class ScriptedHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answer(request));
    }
}
