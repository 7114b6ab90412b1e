using System.Text;
using FhirRisk.Fhir.Push;

namespace FhirRisk.Fhir.Tests;

/// <summary>The push envelope reader: Bundles, single resources and NDJSON, with its problems as coded issues.</summary>
public sealed class FhirPushReaderTests
{
    [Fact]
    public void A_single_resource_keeps_its_meta_as_a_bundle_entry_does()
    {
        // Review s19 #5: a single resource's meta was skipped, so its version could order nothing.
        var single = FhirPushReader.ReadJson(Encoding.UTF8.GetBytes(
            """{"resourceType":"Observation","id":"o1","meta":{"versionId":"3","lastUpdated":"2021-03-01T10:00:00Z","tag":[]},"status":"final"}"""));
        var inBundle = FhirPushReader.ReadJson(Encoding.UTF8.GetBytes(
            """{"resourceType":"Bundle","type":"collection","meta":{"versionId":"9"},"entry":[{"resource":{"resourceType":"Observation","id":"o1","meta":{"versionId":"3","lastUpdated":"2021-03-01T10:00:00Z"}}}]}"""));

        Assert.Equal(new FhirPushMeta("3", "2021-03-01T10:00:00Z"), Assert.Single(single.Entries).Meta);
        Assert.Equal(Assert.Single(inBundle.Entries).Meta, Assert.Single(single.Entries).Meta);
        Assert.Null(Assert.Single(FhirPushReader.ReadJson("""{"resourceType":"Observation","id":"o2"}"""u8.ToArray()).Entries).Meta);
    }

    [Fact]
    public void A_transaction_bundle_yields_each_entry_in_order_with_its_request_and_exact_resource_bytes()
    {
        const string patient = """{"resourceType":"Patient","id":"p1","gender":"female"}""";
        const string encounter = """{"id":"e1","status":"finished","resourceType":"Encounter"}""";
        var json = $$$"""
            {"resourceType":"Bundle","type":"transaction","meta":{"x":[1,2]},"entry":[
              {"fullUrl":"urn:uuid:1","resource":{{{patient}}},"request":{"method":"PUT","url":"Patient/p1","ifMatch":"W/\"1\""}},
              {"request":{"url":"Encounter/e1","method":"POST"},"resource":{{{encounter}}}}]}
            """;

        var document = FhirPushReader.ReadJson(Encoding.UTF8.GetBytes(json));

        Assert.True(document.IsUsable);
        Assert.Equal(("Bundle", "transaction"), (document.ResourceType, document.BundleType));
        Assert.Collection(document.Entries,
            e =>
            {
                Assert.Equal((0, "Bundle.entry[0].resource", "Patient", "p1"), (e.Index, e.Location, e.ResourceType, e.Id));
                Assert.Equal(("urn:uuid:1", "PUT", "Patient/p1"), (e.FullUrl, e.Method, e.Url));
                Assert.Equal(patient, Encoding.UTF8.GetString(e.Json.Span));
                Assert.Null(e.Problem);
            },
            e =>
            {
                Assert.Equal(("Encounter", "e1", "POST", "Encounter/e1"), (e.ResourceType, e.Id, e.Method, e.Url));
                Assert.Null(e.FullUrl);
                Assert.Equal(encounter, Encoding.UTF8.GetString(e.Json.Span));
            });
    }

    [Fact]
    public void Unusable_entries_keep_their_place_with_a_coded_problem()
    {
        const string json = """
            {"resourceType":"Bundle","type":"batch","entry":[
              42,
              {"fullUrl":"urn:uuid:2"},
              {"resource":[1]},
              {"resource":{"id":"x"}},
              {"resource":{"resourceType":"Observation","id":"o1"}}]}
            """;

        var document = FhirPushReader.ReadJson(Encoding.UTF8.GetBytes(json));

        Assert.True(document.IsUsable);
        Assert.Equal(
            [FhirIssueCodes.ResourceNotObject, FhirIssueCodes.EntryWithoutResource, FhirIssueCodes.ResourceNotObject, FhirIssueCodes.MissingResourceType, null],
            document.Entries.Select(e => e.Problem?.Code));
        Assert.Equal([0, 1, 2, 3, 4], document.Entries.Select(e => e.Index));
        Assert.Equal("Bundle.entry[3].resource", document.Entries[3].Problem!.Path);
        Assert.Equal("x", document.Entries[3].Id);
    }

    [Fact]
    public void A_single_resource_is_one_entry_without_a_request()
    {
        var json = Encoding.UTF8.GetBytes("""{"resourceType":"Condition","id":"c1","code":{}}""");

        var document = FhirPushReader.ReadJson(json);

        var entry = Assert.Single(document.Entries);
        Assert.Equal(("Condition", null), (document.ResourceType, document.BundleType));
        Assert.Equal(("Condition", "c1", null), (entry.ResourceType, entry.Id, entry.Method));
        Assert.Equal(json, entry.Json.ToArray());
    }

    [Theory]
    [InlineData("[]", FhirIssueCodes.ResourceNotObject)]
    [InlineData("", FhirIssueCodes.InvalidJson)]
    [InlineData("""{"resourceType":"Bundle","entry":[""", FhirIssueCodes.InvalidJson)]
    [InlineData("""{"resourceType":"Bundle"} {}""", FhirIssueCodes.InvalidJson)]
    [InlineData("""{"type":"collection","entry":[]}""", FhirIssueCodes.MissingResourceType)]
    [InlineData("""{"resourceType":7}""", FhirIssueCodes.MissingResourceType)]
    [InlineData("""{"resourceType":"Bundle","type":"batch","entry":{"a":1}}""", FhirIssueCodes.WrongElementType)]
    [InlineData("""{"entry":"nope","resourceType":"Bundle"}""", FhirIssueCodes.WrongElementType)]
    public void A_document_that_cannot_be_read_is_unusable_with_one_coded_issue(string json, string code)
    {
        var document = FhirPushReader.ReadJson(Encoding.UTF8.GetBytes(json));

        Assert.False(document.IsUsable);
        Assert.Empty(document.Entries);
        Assert.Equal(code, Assert.Single(document.Issues).Code);
    }

    [Fact]
    public void A_Bundle_s_links_are_read_in_order_and_a_malformed_link_is_passed_over()
    {
        byte[] json = [.. """
            {"resourceType":"Bundle","type":"searchset","link":[
              {"relation":"self","url":"https://fhir.test/Observation?patient=p"},
              7,
              {"url":"https://fhir.test/Observation?page=2","relation":"next","extra":{"a":[1]}},
              {"relation":5,"url":"https://fhir.test/x"},
              {"relation":"previous","url":"https://fhir.test/bad-
            """u8, 0xC3, 0x28, .. """
            "}],"entry":[]}
            """u8];

        var document = FhirPushReader.ReadJson(json);

        // A url that is not UTF-8 text is left out of its link; the push itself is not refused over it.
        Assert.True(document.IsUsable);
        Assert.Equal(
            [new FhirBundleLink("self", "https://fhir.test/Observation?patient=p"), new FhirBundleLink("next", "https://fhir.test/Observation?page=2"),
                new FhirBundleLink(null, "https://fhir.test/x"), new FhirBundleLink("previous", null)],
            document.Links);
    }

    [Fact]
    public void Links_are_a_Bundle_s_only_and_a_Bundle_whose_entry_is_not_an_array_still_says_what_it_is()
    {
        var patient = FhirPushReader.ReadJson("""{"resourceType":"Patient","id":"p1","link":[{"relation":"next","url":"https://fhir.test/x"}]}"""u8.ToArray());
        var malformed = FhirPushReader.ReadJson("""{"resourceType":"Bundle","type":"searchset","entry":"nope","link":[{"relation":"next","url":"https://fhir.test/2"}]}"""u8.ToArray());

        Assert.Empty(patient.Links);
        Assert.False(malformed.IsUsable);
        Assert.Equal(FhirIssueCodes.WrongElementType, Assert.Single(malformed.Issues).Code);
        Assert.Equal(("Bundle", "searchset"), (malformed.ResourceType, malformed.BundleType));
        Assert.Equal("https://fhir.test/2", Assert.Single(malformed.Links).Url);
    }

    [Fact]
    public void Invalid_utf8_in_a_string_is_an_issue_not_an_exception()
    {
        byte[] json = [.. """{"resourceType":"Bund"""u8, 0xC3, 0x28, .. """le"}"""u8];

        var document = FhirPushReader.ReadJson(json);

        Assert.Equal(FhirIssueCodes.InvalidJson, Assert.Single(document.Issues).Code);
    }

    [Fact]
    public void Ndjson_lines_are_entries_located_by_line_number_skipping_blank_lines_and_carriage_returns()
    {
        var ndjson = Encoding.UTF8.GetBytes(
            "{\"resourceType\":\"Patient\",\"id\":\"p1\"}\r\n" +
            "\n" +
            "   \t\n" +
            "{\"resourceType\":\"Observation\",\"id\":\"o1\"} trailing\n" +
            "not json\n" +
            "{\"id\":\"nameless\"}\n" +
            "[1]\n" +
            "{\"resourceType\":\"Encounter\",\"id\":\"e1\"}");

        var document = FhirPushReader.ReadNdjson(ndjson);

        Assert.True(document.IsUsable);
        Assert.Null(document.ResourceType);
        Assert.Equal(["line 1", "line 4", "line 5", "line 6", "line 7", "line 8"], document.Entries.Select(e => e.Location));
        Assert.Equal([0, 1, 2, 3, 4, 5], document.Entries.Select(e => e.Index));
        Assert.Equal(
            [null, FhirIssueCodes.InvalidJson, FhirIssueCodes.InvalidJson, FhirIssueCodes.MissingResourceType, FhirIssueCodes.ResourceNotObject, null],
            document.Entries.Select(e => e.Problem?.Code));
        Assert.Equal("{\"resourceType\":\"Patient\",\"id\":\"p1\"}", Encoding.UTF8.GetString(document.Entries[0].Json.Span));
        Assert.Equal(("Encounter", "e1"), (document.Entries[5].ResourceType, document.Entries[5].Id));
    }

    [Fact]
    public void Empty_ndjson_has_no_entries_and_no_issues()
    {
        var document = FhirPushReader.ReadNdjson(Encoding.UTF8.GetBytes("\n\n"));

        Assert.True(document.IsUsable);
        Assert.Empty(document.Entries);
    }
}
