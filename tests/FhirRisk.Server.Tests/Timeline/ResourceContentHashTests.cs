using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FhirRisk.Server.Timeline;
using FhirRisk.Testing;

namespace FhirRisk.Server.Tests.Timeline;

/// <summary>
/// The content hash (<see cref="ResourceContentHash"/>) decides whether a re-push changes anything, against hashes
/// stored by every earlier version: it must not move. Held to <see cref="Reference"/>, the plain rewrite it replaced
/// (a string per name and value, a new writer and buffer per resource), and to one hash pinned from before.
/// </summary>
public sealed class ResourceContentHashTests
{
    /// <summary>The rewrite as first shipped: every name and string through a .NET string, a fresh writer each time.</summary>
    private static string Reference(ReadOnlySpan<byte> json)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(json.Length);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: writer.WriteStartObject(); break;
                    case JsonTokenType.EndObject: writer.WriteEndObject(); break;
                    case JsonTokenType.StartArray: writer.WriteStartArray(); break;
                    case JsonTokenType.EndArray: writer.WriteEndArray(); break;
                    case JsonTokenType.PropertyName: writer.WritePropertyName(reader.GetString()!); break;
                    case JsonTokenType.String: writer.WriteStringValue(reader.GetString()); break;
                    default: writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;
                }
            }
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    private static string Of(string json) => ResourceContentHash.Of(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void A_hash_stored_by_earlier_versions_is_what_it_is_today()
    {
        // The SHA-256 of this text, rewritten as every version so far has: no whitespace, non-ASCII and HTML-sensitive
        // characters escaped as \uXXXX ("Cr\u00E9atinine \u003Cs\u00E9rum\u003E"), the number as written.
        const string Json = """{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"Créatinine <sérum>"},"valueQuantity":{"value":1.20,"unit":"mg/dL"}}""";
        Assert.Equal("c7f6ebe2d24448359b5b44fa4b4a975affabaf2444d40999649f400972599270", Of(Json));
    }

    [Fact]
    public void A_hash_of_ASCII_that_needs_escapes_is_pinned_too()
    {
        // Raw ASCII written from its UTF-8 bytes since 2026-12-06; the rewrite escapes the HTML-sensitive characters and
        // DEL as \uXXXX: {"a\u003Cb":"1\u002B1 \u0060x\u0060 \u0026 \u0027y\u0027 \u003E \u007F"}.
        var json = Encoding.UTF8.GetBytes("{\"a<b\":\"1+1 `x` & 'y' > \u007F\"}");
        Assert.Equal(Reference(json), ResourceContentHash.Of(json));
        Assert.Equal("ad7eb6da445fab08da9e052272a6c66adc709a4a81ac263687e39000900f472b", ResourceContentHash.Of(json));
    }

    [Fact]
    public void Raw_DEL_in_a_name_and_a_value_hashes_as_the_reference_does()
    {
        var json = Encoding.UTF8.GetBytes("{\"a\u007Fb\":\"c\u007F\",\"d\":[\"\u007F\",\"\"]}");
        Assert.Equal(Reference(json), ResourceContentHash.Of(json));
    }

    [Fact]
    public void Whitespace_does_not_count_and_order_and_precision_do()
    {
        var minified = Of("""{"resourceType":"Patient","id":"p","name":[{"family":"Doe"}]}""");
        Assert.Equal(minified, Of("{\n  \"resourceType\" : \"Patient\",\r\n\t\"id\": \"p\",\n  \"name\": [ { \"family\": \"Doe\" } ]\n}\n"));
        Assert.NotEqual(minified, Of("""{"id":"p","resourceType":"Patient","name":[{"family":"Doe"}]}"""));
        Assert.NotEqual(Of("""{"value":1.0}"""), Of("""{"value":1.00}"""));
    }

    public static TheoryData<string> Texts() =>
    [
        "",
        "plain ascii 0123",
        "quote \" backslash \\ slash / tab \t newline \n return \r",
        "html < > & ' + ` =",
        "control \u0001 \u001f \u007f",
        "latin é ü ß ø",
        "cjk 肌酐 血清",
        "emoji 😀 🩺",
        "mixed ascii then é then ascii",
        "\u2028 \u2029 line separators",
        new string('x', 70_000),
        new string('é', 40_000),
    ];

    [Theory]
    [MemberData(nameof(Texts))]
    public void Every_string_hashes_as_the_reference_does_raw_or_escaped(string text)
    {
        // The same text as raw UTF-8, as JSON escapes (\uXXXX for everything outside ASCII), and as a member name.
        var raw = JsonSerializer.Serialize(text, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var escaped = JsonSerializer.Serialize(text);
        foreach (var value in new[] { raw, escaped })
        {
            foreach (var json in new[] { $$"""{"text":{{value}}}""", $$"""{{{value}}:[{{value}},1e-7,true,null]}""" })
            {
                var bytes = Encoding.UTF8.GetBytes(json);
                Assert.Equal(Reference(bytes), ResourceContentHash.Of(bytes));
            }
        }
        Assert.Equal(Of($$"""{"text":{{raw}}}"""), Of($$"""{"text":{{escaped}}}"""));
    }

    [Fact]
    public void A_lone_surrogate_escape_throws_as_before_and_the_next_hash_is_unaffected()
    {
        var before = Of("""{"a":"b"}""");
        Assert.Throws<InvalidOperationException>(() => Of("""{"id":"x","text":"\ud800"}"""));
        Assert.ThrowsAny<JsonException>(() => Of("""{"id":"x","""));
        Assert.Equal(before, Of("""{"a":"b"}"""));
    }

    [Fact]
    public void A_resource_larger_than_the_kept_buffer_hashes_as_the_reference_and_so_do_small_ones_after_it()
    {
        var large = Encoding.UTF8.GetBytes($$"""{"resourceType":"Binary","data":"{{new string('A', 3 << 20)}}"}""");
        Assert.Equal(Reference(large), ResourceContentHash.Of(large));
        var small = Encoding.UTF8.GetBytes("""{"resourceType":"Patient","id":"p"}""");
        Assert.Equal(Reference(small), ResourceContentHash.Of(small));
    }

    [Fact]
    public void Threads_hash_alike_at_once()
    {
        var resources = Enumerable.Range(0, 200)
            .Select(i => Encoding.UTF8.GetBytes($$"""{"resourceType":"Observation","id":"o{{i}}","note":[{"text":"{{new string('é', i)}} <{{i}}>"}]}"""))
            .ToArray();
        var expected = resources.Select(r => Reference(r)).ToArray();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < resources.Length; i++)
                Assert.Equal(expected[i], ResourceContentHash.Of(resources[i]));
        });
    }

    [ExternalDataFact]
    public void Every_resource_of_the_corpus_hashes_as_the_reference()
    {
        var files = Directory.EnumerateFiles(ExternalData.Path("fhir", "spec-examples-r4"), "*.json")
            .Concat(Directory.EnumerateFiles(ExternalData.Path("fhir", "synthea-r4-bundles"), "*.json").Order().Take(5))
            .ToArray();
        var checkedCount = 0;
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
            Assert.Equal(Reference(bytes), ResourceContentHash.Of(bytes));
            checkedCount++;
            if (document.RootElement.TryGetProperty("entry", out var entries) && entries.ValueKind == JsonValueKind.Array)
            {
                foreach (var entry in entries.EnumerateArray())
                {
                    if (!entry.TryGetProperty("resource", out var resource))
                        continue;
                    var raw = Encoding.UTF8.GetBytes(resource.GetRawText());
                    Assert.Equal(Reference(raw), ResourceContentHash.Of(raw));
                    checkedCount++;
                }
            }
        }
        Assert.True(checkedCount > 1_000, $"only {checkedCount} resources checked");
    }
}
