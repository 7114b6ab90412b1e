using FhirRisk.Meds;
using FhirRisk.Synthetic.Generation;
using FhirRisk.Tokenizer;

namespace FhirRisk.Synthetic.Tests;

/// <summary>Prompts and their decoding: where a synthetic timeline begins, and what of its donor it keeps.</summary>
public sealed class GeneratedTimelineTests
{
    private static readonly DateTime T0 = new(2021, 5, 17, 9, 30, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Year = TimeSpan.FromDays(365.2425);
    private static readonly TimeSpan TenYears = TimeSpan.FromDays(3652.5);

    private static TimelineTokenizer Tokenizer => TimelineTokenizer.Load(GenerationModel.Directory);

    [Fact]
    public void Decode_OfATimelineBegunInsideAStay_BeginsAtItsFirstAdmission()
    {
        var (prompt, tokens) = Encode(
        [
            new(1, T0, "LOINC//2160-0//mg/dL", 1.3f),
            new(1, T0.AddHours(20), "HOSPITAL_DISCHARGE//HOME"),
            new(1, T0.AddDays(40), "HOSPITAL_ADMISSION//EMER"),
            new(1, T0.AddDays(40).AddHours(2), "LOINC//8867-4///min", 90f),
            new(1, T0.AddDays(44), "HOSPITAL_DISCHARGE//HOME"),
        ]);

        var patient = GeneratedTimeline.Decode(Tokenizer, 1, prompt, tokens);

        var timed = patient.Events.Where(e => e.Time is not null && e.Code != MedsSchema.BirthCode).ToList();
        Assert.Equal("HOSPITAL_ADMISSION//EMER", timed[0].Code);
        Assert.Equal(["HOSPITAL_ADMISSION//EMER", "LOINC//8867-4///min", "HOSPITAL_DISCHARGE//HOME"], timed.Select(e => e.Code));
        Assert.Equal(2, patient.EventsBeforeFirstEncounter);
        Assert.True(patient.OpensEncounter);
        Assert.Contains(patient.Events, e => e.Code == "GENDER//F");
    }

    [Fact]
    public void Decode_WritesWholeSeconds_AsItsFhirDoes()
    {
        // Review s22 generate L1: intervals decode to their bin's mean in µs (the demo model's do), so the MEDS output
        // held sub-second times its FHIR output (whole seconds) did not. This tokenizer's means are moved off the second.
        using var temp = new FhirRisk.Testing.TempDirectory();
        var folder = temp.File("tokenizer");
        Tokenizer.Save(folder);
        var path = Path.Combine(folder, "tokenizer.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        foreach (var interval in json["intervals"]!.AsArray())
            interval!["decode_us"] = interval["decode_us"]!.GetValue<long>() + 123_456;
        File.WriteAllText(path, json.ToJsonString());
        var tokenizer = TimelineTokenizer.Load(folder);
        var (prompt, tokens) = Encode(
        [
            new(1, T0, "HOSPITAL_ADMISSION//EMER"),
            new(1, T0.AddHours(2), "LOINC//8867-4///min", 90f),
            new(1, T0.AddDays(4), "HOSPITAL_DISCHARGE//HOME"),
        ]);

        var decoded = tokenizer.Decode(tokens, 1, prompt.Start);
        var patient = GeneratedTimeline.Decode(tokenizer, 1, prompt, tokens);

        Assert.Contains(decoded, e => e.Time is { } t && t.Ticks % TimeSpan.TicksPerSecond != 0);
        Assert.All(patient.Events.Where(e => e.Time is not null && e.Code != MedsSchema.BirthCode),
            e => Assert.Equal(0, e.Time!.Value.Ticks % TimeSpan.TicksPerSecond));
    }

    [Fact]
    public void Decode_OfATimelineThatOpensNoEncounter_KeepsNoEvent()
    {
        var (prompt, tokens) = Encode(
        [
            new(1, T0, "LOINC//2160-0//mg/dL", 1.3f),
            new(1, T0.AddHours(20), "HOSPITAL_DISCHARGE//DIED"),
        ]);

        var patient = GeneratedTimeline.Decode(Tokenizer, 1, prompt, tokens);

        Assert.False(patient.OpensEncounter);
        Assert.DoesNotContain(patient.Events, e => e.Time is not null && e.Code != MedsSchema.BirthCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(47)]
    [InlineData(99)]
    public void DrawBirth_StaysWithinTheEncodedAge_OnDatesSpreadOverTheYear(int years)
    {
        var start = T0.AddHours(5.25);
        var prefixBirth = start - (years * Year);
        var random = new Random(years);

        var births = Enumerable.Range(0, 2000).Select(_ => GeneratedTimeline.DrawBirth(start, prefixBirth, random.NextDouble())).ToList();

        Assert.All(births, b =>
        {
            Assert.Equal(b.Date, b);
            var age = (start - b) / Year;
            Assert.InRange(age, Math.Max(0, years - 0.5), years + 0.5);
            Assert.NotEqual(years + 0.5, age);
        });
        // Each age encodes back to the prefix's years, so the prompt and the decoded patient agree.
        Assert.All(births, b => Assert.Equal(years, (int)Math.Round((start - b) / Year, MidpointRounding.AwayFromZero)));
        Assert.True(births.Select(b => (b.Month, b.Day)).Distinct().Count() > (years == 0 ? 150 : 300), "birthdays should spread over the year, not fall on the start's anniversary");
    }

    [Theory]
    [InlineData("Europe/Berlin", 0)]
    [InlineData("Europe/Berlin", 63)]
    [InlineData("America/New_York", 63)]
    [InlineData("Pacific/Kiritimati", 30)]
    public void DrawBirth_InASiteTimeZone_IsALocalMidnight_WithinTheEncodedAge(string zoneId, int years)
    {
        Assert.True(FhirRisk.Fhir.SiteTimeZone.TryFind(zoneId, out var zone));
        var start = T0.AddHours(5.25);
        var prefixBirth = start - (years * Year);
        var random = new Random(years);

        var births = Enumerable.Range(0, 2000).Select(_ => GeneratedTimeline.DrawBirth(start, prefixBirth, random.NextDouble(), zone)).ToList();

        Assert.All(births, b =>
        {
            Assert.Equal(TimeSpan.Zero, TimeZoneInfo.ConvertTimeFromUtc(b, zone).TimeOfDay); // the day ingestion in the zone reads
            var age = (start - b) / Year;
            Assert.InRange(age, Math.Max(0, years - 0.5), years + 0.5);
            Assert.NotEqual(years + 0.5, age);
            Assert.Equal(years, (int)Math.Round(age, MidpointRounding.AwayFromZero));
        });
    }

    [Fact]
    public void Prompts_FromData_KeepTheDonorsQuarterButNotItsTime_AndRepeatBySeed()
    {
        var tokenizer = Tokenizer;
        var donors = StaticPrompts.Donors(tokenizer, GenerationModel.Dataset, TenYears).Pool;

        var prompts = StaticPrompts.Draw(tokenizer, GenerationModel.Dataset, 200, new Random(4), TenYears).Prompts;
        var again = StaticPrompts.Draw(tokenizer, GenerationModel.Dataset, 200, new Random(4), TenYears).Prompts;

        var donorStarts = donors.Select(d => d.Start).ToHashSet();
        Assert.DoesNotContain(prompts, p => donorStarts.Contains(p.Start));
        var quarters = donors.Select(d => (d.Start.Year, (d.Start.Month - 1) / 3)).ToHashSet();
        Assert.All(prompts, p => Assert.Contains((p.Start.Year, (p.Start.Month - 1) / 3), quarters));
        Assert.True(prompts.Select(p => p.Start).Distinct().Count() > 150);
        Assert.Equal(prompts.Select(p => (p.Start, p.AgeDraw, string.Join(',', p.Prefix))), again.Select(p => (p.Start, p.AgeDraw, string.Join(',', p.Prefix))));
    }

    /// <summary>A female patient of 63 with <paramref name="timeline"/>, as the model would be prompted and would write it.</summary>
    private static (StaticPrompt Prompt, int[] Tokens) Encode(MedsEvent[] timeline)
    {
        var tokenizer = Tokenizer;
        var buffer = tokenizer.CreateBuffer();
        tokenizer.Encode([new(1, null, "GENDER//F"), new(1, T0.AddYears(-63), MedsSchema.BirthCode), .. timeline], buffer, endTimeline: true);
        return (new StaticPrompt(tokenizer.PrefixAt(buffer.Statics, buffer.Times[0]), T0, 0.3), buffer.Tokens.ToArray());
    }
}
