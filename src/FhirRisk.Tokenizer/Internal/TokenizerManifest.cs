using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FhirRisk.Tokenizer.Internal;

/// <summary>The JSON of <c>tokenizer.json</c> (docs/formats/tokenizer.md): written field by field so the bytes are stable.</summary>
internal static class TokenizerManifest
{
    /// <summary><see cref="TimelineTokenizer.EncodingFingerprint"/>.</summary>
    public static ulong EncodingFingerprint(TimelineTokenizer tokenizer)
    {
        var manifest = JsonNode.Parse(Write(tokenizer, default))!.AsObject();
        manifest.Remove("fitted_on");
        Span<byte> vocabulary = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(vocabulary, tokenizer.Vocabulary.Fingerprint);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(manifest.ToJsonString()));
        hash.AppendData(vocabulary);
        return BinaryPrimitives.ReadUInt64LittleEndian(hash.GetHashAndReset());
    }

    public static byte[] Write(TimelineTokenizer tokenizer, JsonWriterOptions options)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, options))
        {
            json.WriteStartObject();
            json.WriteString("format", TokenizerFiles.Format);
            json.WriteNumber("version", TokenizerFiles.Version);
            json.WriteNumber("vocabulary_size", tokenizer.Vocabulary.Count);
            WriteFittedOn(json, tokenizer.FittedOn);
            WriteSettings(json, tokenizer.Settings);
            WriteIntervals(json, tokenizer.Intervals);
            WriteQuantiles(json, tokenizer.Quantiles.Values.OrderBy(q => q.Code, StringComparer.Ordinal));
            json.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    public static TimelineTokenizer Read(JsonElement root, Vocabulary vocabulary, string path)
    {
        try
        {
            var size = root.GetProperty("vocabulary_size").GetInt32();
            if (size != vocabulary.Count)
                throw new InvalidDataException($"{path}: vocabulary_size is {size} but {TokenizerFiles.VocabularyFile} holds {vocabulary.Count} tokens. Hint: the two files come from different fits; save them together.");
            var intervals = root.GetProperty("intervals").EnumerateArray().Select(ReadInterval).ToArray();
            var settings = ReadSettings(root.GetProperty("settings"), intervals);
            settings.Validate();
            var quantiles = root.GetProperty("quantiles").EnumerateArray().Select(ReadQuantiles)
                .ToDictionary(q => q.Code, StringComparer.Ordinal);
            var fitted = root.GetProperty("fitted_on");
            var fittedOn = new TokenizerFitSummary(Strings(fitted.GetProperty("splits")), fitted.GetProperty("subjects").GetInt64(), fitted.GetProperty("events").GetInt64())
            {
                SiteTimeZone = fitted.TryGetProperty("site_time_zone", out var zone) && zone.ValueKind == JsonValueKind.String ? zone.GetString() : null,
            };
            return new TimelineTokenizer(settings, vocabulary, intervals, quantiles, fittedOn);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: {e.Message} Hint: the file is damaged or was edited by hand; refit the tokenizer.", e);
        }
    }

    private static void WriteFittedOn(Utf8JsonWriter json, TokenizerFitSummary fittedOn)
    {
        json.WriteStartObject("fitted_on");
        WriteStrings(json, "splits", fittedOn.Splits);
        json.WriteNumber("subjects", fittedOn.Subjects);
        json.WriteNumber("events", fittedOn.Events);
        if (fittedOn.SiteTimeZone is { } zone)
            json.WriteString("site_time_zone", zone);
        json.WriteEndObject();
    }

    private static void WriteSettings(Utf8JsonWriter json, TokenizerSettings settings)
    {
        json.WriteStartObject("settings");
        WriteStrings(json, "fit_splits", settings.FitSplits);
        json.WriteNumber("min_count", settings.MinCount);
        // Written only when on, so tokenizers fitted without it (the demo model's) keep their bytes; absent reads as 1.
        if (settings.MinSubjects != 1)
            json.WriteNumber("min_subjects", settings.MinSubjects);
        json.WriteNumber("max_vocabulary_size", settings.MaxVocabularySize);
        json.WriteNumber("quantized_codes", settings.QuantizedCodes);
        WriteStrings(json, "static_fields", settings.StaticFields);
        json.WriteStartArray("hierarchies");
        foreach (var family in settings.Hierarchies)
        {
            json.WriteStartObject();
            json.WriteString("prefix", family.Prefix);
            json.WriteNumber("category_length", family.CategoryLength);
            json.WriteString("separator", family.Separator);
            json.WriteBoolean("split", family.Split);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (settings.DayEndCodes.Count > 0) // written only when set, so tokenizers without it keep their bytes
            WriteStrings(json, "day_end_codes", settings.DayEndCodes);
        if (settings.TieOrder == TieOrder.Canonical) // absent reads as input order, that of tokenizers fitted before
            json.WriteString("tie_order", "canonical");
        if (settings.PlaceDateOnlyDeaths) // absent reads as off, as tokenizers fitted before 2026-12-06 encoded
            json.WriteBoolean("date_only_deaths", true);
        if (settings.TransfersCloseFirst)
            json.WriteBoolean("transfers_close_first", true);
        json.WriteEndObject();
    }

    private static void WriteIntervals(Utf8JsonWriter json, IReadOnlyList<IntervalEstimate> intervals)
    {
        json.WriteStartArray("intervals");
        foreach (var interval in intervals)
        {
            json.WriteStartObject();
            json.WriteString("token", interval.Token);
            json.WriteNumber("lower_bound_us", interval.LowerBoundMicros);
            WriteOptional(json, "upper_bound_us", interval.UpperBoundMicros);
            json.WriteNumber("count", interval.Count);
            WriteOptional(json, "min_us", interval.MinMicros);
            WriteOptional(json, "mean_us", interval.MeanMicros);
            WriteOptional(json, "max_us", interval.MaxMicros);
            json.WriteNumber("decode_us", interval.DecodeMicros);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static void WriteQuantiles(Utf8JsonWriter json, IEnumerable<CodeQuantiles> quantiles)
    {
        json.WriteStartArray("quantiles");
        foreach (var code in quantiles)
        {
            json.WriteStartObject();
            json.WriteString("code", code.Code);
            json.WriteNumber("values", code.Values);
            WriteFloats(json, "breaks", code.Breaks);
            WriteFloats(json, "bin_values", code.BinValues);
            json.WriteStartArray("bin_counts");
            foreach (var count in code.BinCounts)
                json.WriteNumberValue(count);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static TokenizerSettings ReadSettings(JsonElement settings, IReadOnlyList<IntervalEstimate> intervals) => new()
    {
        FitSplits = Strings(settings.GetProperty("fit_splits")),
        MinCount = settings.GetProperty("min_count").GetInt32(),
        MinSubjects = settings.TryGetProperty("min_subjects", out var minSubjects) ? minSubjects.GetInt32() : 1,
        MaxVocabularySize = settings.GetProperty("max_vocabulary_size").GetInt32(),
        QuantizedCodes = settings.GetProperty("quantized_codes").GetInt32(),
        StaticFields = Strings(settings.GetProperty("static_fields")),
        Intervals = intervals.Select(i => new TimeIntervalToken(i.Token, TimeSpan.FromMicroseconds(i.LowerBoundMicros))).ToArray(),
        Hierarchies = settings.GetProperty("hierarchies").EnumerateArray().Select(h => new CodeHierarchy(
            h.GetProperty("prefix").GetString()!,
            h.GetProperty("category_length").GetInt32(),
            h.GetProperty("separator").GetString()!,
            h.GetProperty("split").GetBoolean())).ToArray(),
        DayEndCodes = settings.TryGetProperty("day_end_codes", out var dayEnd) ? Strings(dayEnd) : [],
        TieOrder = settings.TryGetProperty("tie_order", out var tieOrder) ? ReadTieOrder(tieOrder) : TieOrder.Input,
        PlaceDateOnlyDeaths = settings.TryGetProperty("date_only_deaths", out var deaths) && deaths.GetBoolean(),
        TransfersCloseFirst = settings.TryGetProperty("transfers_close_first", out var transfers) && transfers.GetBoolean(),
    };

    private static TieOrder ReadTieOrder(JsonElement value) => value.GetString() switch
    {
        "canonical" => TieOrder.Canonical,
        "input" => TieOrder.Input,
        var other => throw new FormatException($"settings.tie_order is '{other}', not 'canonical' or 'input'."),
    };

    private static IntervalEstimate ReadInterval(JsonElement interval) => new(
        interval.GetProperty("token").GetString()!,
        interval.GetProperty("lower_bound_us").GetInt64(),
        OptionalLong(interval, "upper_bound_us"),
        interval.GetProperty("count").GetInt64(),
        OptionalLong(interval, "min_us"),
        OptionalLong(interval, "mean_us"),
        OptionalLong(interval, "max_us"),
        interval.GetProperty("decode_us").GetInt64());

    private static CodeQuantiles ReadQuantiles(JsonElement code) => new(
        code.GetProperty("code").GetString()!,
        code.GetProperty("values").GetInt64(),
        code.GetProperty("breaks").EnumerateArray().Select(b => b.GetSingle()).ToArray(),
        code.GetProperty("bin_values").EnumerateArray().Select(b => b.GetSingle()).ToArray(),
        code.GetProperty("bin_counts").EnumerateArray().Select(b => b.GetInt64()).ToArray());

    private static long? OptionalLong(JsonElement element, string name) =>
        element.GetProperty(name).ValueKind == JsonValueKind.Null ? null : element.GetProperty(name).GetInt64();

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(s => s.GetString()!).ToArray();

    private static void WriteOptional(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } number)
            json.WriteNumber(name, number);
        else
            json.WriteNull(name);
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
            json.WriteStringValue(value);
        json.WriteEndArray();
    }

    private static void WriteFloats(Utf8JsonWriter json, string name, IEnumerable<float> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
            json.WriteNumberValue(value);
        json.WriteEndArray();
    }
}
