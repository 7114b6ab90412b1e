using System.Text.Json.Nodes;
using FhirRisk.Meds;
using FhirRisk.Testing;
using static FhirRisk.Tokenizer.Tests.SmallDatasets;

namespace FhirRisk.Tokenizer.Tests;

/// <summary>
/// Events that share a timestamp have no order in MEDS or FHIR, so a canonical tokenizer writes the same tokens for
/// them whatever order they arrive in; a tokenizer fitted before the setting keeps the input order its model learned.
/// </summary>
public sealed class TieOrderTests : IDisposable
{
    private const string HeartRate = "LOINC//8867-4///min";
    private const string Temperature = "LOINC//8310-5//Cel";
    private const string Admission = "HOSPITAL_ADMISSION//IMP";
    private const string Diagnosis = "SNOMED//233604007";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static MedsEvent[] Subject(long id) =>
    [
        Static(id, "GENDER//F"),
        At(id, TimeSpan.Zero, "ED_REGISTRATION"),
        At(id, TimeSpan.FromHours(1), HeartRate, 80 + id),
        At(id, TimeSpan.FromHours(1), Temperature, 37),
        At(id, TimeSpan.FromHours(1), HeartRate, 120),
        At(id, TimeSpan.FromHours(3), Admission),
        At(id, TimeSpan.FromHours(3), Diagnosis),
        At(id, TimeSpan.FromHours(3), "ED_OUT"),
        At(id, TimeSpan.FromDays(2), "HOSPITAL_DISCHARGE//home"),
    ];

    private TimelineTokenizer Fit(TokenizerSettings? settings = null) =>
        TimelineTokenizer.Fit(Write(_temp.File($"meds-{Guid.NewGuid():N}"), Enumerable.Range(1, 12).Select(i => Subject(i))), settings);

    /// <summary>The events of <paramref name="subject"/> with each timestamp's events reversed (static rows first).</summary>
    private static MedsEvent[] TiesReversed(MedsEvent[] subject) =>
        [.. subject.Where(e => e.IsStatic), .. subject.Where(e => !e.IsStatic).GroupBy(e => e.Time).SelectMany(g => g.Reverse())];

    private static int[] Tokens(TimelineTokenizer tokenizer, IReadOnlyList<MedsEvent> events)
    {
        var buffer = tokenizer.CreateBuffer();
        tokenizer.Encode(events, buffer, endTimeline: false);
        return buffer.Tokens.ToArray();
    }

    [Fact]
    public void Default_IsCanonical()
    {
        Assert.Equal(TieOrder.Canonical, TokenizerSettings.Default.TieOrder);
    }

    [Fact]
    public void Canonical_TheSameEventsInAnyOrderWithinTheirTimestamps_GiveTheSameTokens()
    {
        var tokenizer = Fit();
        var subject = Subject(3);
        var reversed = TiesReversed(subject);
        var shuffled = (MedsEvent[])subject.Clone();
        new Random(5).Shuffle(shuffled.AsSpan(2, 3)); // the three readings of hour 1

        var expected = Tokens(tokenizer, subject);
        Assert.NotEqual(subject.Select(e => e.Code), reversed.Select(e => e.Code));
        Assert.Equal(expected, Tokens(tokenizer, reversed));
        Assert.Equal(expected, Tokens(tokenizer, shuffled));
    }

    [Fact]
    public void Canonical_WritesEachTimestampByItsTokens_AndKeepsTheTimestampsInTheirOrder()
    {
        var tokenizer = Fit();
        var tokens = Tokens(tokenizer, TiesReversed(Subject(3)));
        var decoded = tokenizer.Decode(tokens, 3, Start);

        Assert.Equal(tokenizer.InTieOrder(Subject(3)).Where(e => !e.IsStatic).Select(e => e.Code), decoded.Select(e => e.Code));
        Assert.Equal(decoded.Select(e => e.Time), decoded.Select(e => e.Time).Order());
        var readings = decoded.Where(e => e.Code == HeartRate).ToArray();
        Assert.True(readings[0].NumericValue < readings[1].NumericValue, "the same code: the lower decile first");
        // Each timestamp as a stay reads: what opens a stay, what was charted, what closes one; by token id within each.
        Assert.Equal(["ED_REGISTRATION"], decoded.Where(e => e.Time == Start).Select(e => e.Code));
        Assert.Equal([Admission, Diagnosis, "ED_OUT"], decoded.Where(e => e.Time == Start.AddHours(3)).Select(e => e.Code));
        foreach (var group in decoded.GroupBy(e => e.Time))
        {
            var keys = group.Select(e => (Rank: TieEntry.RankOf(e.Code), Id: tokenizer.Vocabulary.IdOf(e.Code))).ToArray();
            Assert.Equal(keys.OrderBy(k => k.Rank).ThenBy(k => k.Id), keys);
        }
    }

    [Fact]
    public void Canonical_ATransferClosesTheOldStayBeforeTheNewOneOpens_AndAStayOfNoLengthStillOpensFirst()
    {
        // A discharge and an admission at one instant, with a stay open before it: written admission-then-discharge, the
        // new stay's prompt ended by saying it had just closed. The same holds for ICU unit transfers.
        static MedsEvent[] Transfers(long id) =>
        [
            Static(id, "GENDER//F"),
            At(id, TimeSpan.Zero, Admission),
            At(id, TimeSpan.FromHours(5), "ICU_ADMISSION//MICU"),
            At(id, TimeSpan.FromDays(1), "ICU_ADMISSION//CCU"),
            At(id, TimeSpan.FromDays(1), "ICU_DISCHARGE"),
            At(id, TimeSpan.FromDays(2), "ICU_DISCHARGE"),
            At(id, TimeSpan.FromDays(2), Temperature, 37),
            At(id, TimeSpan.FromDays(2), "HOSPITAL_ADMISSION//TRANSFER"),
            At(id, TimeSpan.FromDays(2), "HOSPITAL_DISCHARGE//TRANSFER"),
            At(id, TimeSpan.FromDays(4), "HOSPITAL_DISCHARGE//home"),
            At(id, TimeSpan.FromDays(30), "ED_REGISTRATION"),
            At(id, TimeSpan.FromDays(30), "ED_OUT"),
        ];
        var tokenizer = TimelineTokenizer.Fit(Write(_temp.File("transfers"), Enumerable.Range(1, 12).Select(i => Transfers(i))));

        var ordered = tokenizer.InTieOrder(TiesReversed(Transfers(3))).Where(e => !e.IsStatic).Select(e => e.Code).ToArray();

        Assert.Equal(
        [
            Admission, "ICU_ADMISSION//MICU",
            "ICU_DISCHARGE", "ICU_ADMISSION//CCU",                                              // an ICU unit transfer
            // A hospital transfer: its discharge first. The ICU stay closing at that instant keeps its place among the
            // closes (only the closes of the kind that reopens move first).
            "HOSPITAL_DISCHARGE//TRANSFER", "HOSPITAL_ADMISSION//TRANSFER", Temperature, "ICU_DISCHARGE",
            "HOSPITAL_DISCHARGE//home",
            "ED_REGISTRATION", "ED_OUT",                                                         // a visit of no length opens first
        ], ordered);
        var tokens = Tokens(tokenizer, Transfers(3));
        Assert.Equal(tokens, Tokens(tokenizer, TiesReversed(Transfers(3))));
        Assert.Equal(tokens, Tokens(tokenizer, [Static(3, "GENDER//F"), .. tokenizer.Decode(tokens, 3, Start)]));
    }

    [Theory]
    [InlineData("ED_REGISTRATION", 0)]
    [InlineData("HOSPITAL_ADMISSION//IMP", 0)]
    [InlineData("ICU_ADMISSION//MICU", 0)]
    [InlineData("VISIT//AMB", 0)]
    [InlineData("LOINC//8867-4///min", 1)]
    [InlineData("UNK", 1)]
    [InlineData("ED_OUT", 2)]
    [InlineData("HOSPITAL_DISCHARGE//home", 2)]
    [InlineData("UNK//HOSPITAL_DISCHARGE", 2)]
    [InlineData("ICU_DISCHARGE", 2)]
    [InlineData("MEDS_DEATH", 3)]
    public void Rank_PutsOpeningsFirstAndClosingsThenDeathLast(string token, int rank)
    {
        Assert.Equal(rank, TieEntry.RankOf(token));
    }

    [Fact]
    public void Canonical_InputOutOfTimeOrder_IsStillRefused()
    {
        var tokenizer = Fit();
        MedsEvent[] events = [At(1, TimeSpan.FromHours(2), HeartRate, 90), At(1, TimeSpan.FromHours(1), Temperature, 37), At(1, TimeSpan.FromHours(1), HeartRate, 80)];

        var error = Assert.Throws<ArgumentException>(() => Tokens(tokenizer, events));
        Assert.Contains("not in time order", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InTieOrder_IsTheOrderEncodingReads_WhateverTheOrderGiven()
    {
        var tokenizer = Fit();

        Assert.Equal(tokenizer.InTieOrder(Subject(3)), tokenizer.InTieOrder(TiesReversed(Subject(3))));
        Assert.Equal(Tokens(tokenizer, Subject(3)), Tokens(tokenizer, tokenizer.InTieOrder(TiesReversed(Subject(3)))));
    }

    [Fact]
    public void Input_KeepsTheOrderTheEventsCameIn()
    {
        var tokenizer = Fit(TokenizerSettings.Default with { TieOrder = TieOrder.Input });
        var reversed = TiesReversed(Subject(3));

        var decoded = tokenizer.Decode(Tokens(tokenizer, reversed), 3, Start);

        Assert.Equal(reversed.Where(e => !e.IsStatic).Select(e => e.Code), decoded.Select(e => e.Code));
        Assert.NotEqual(Tokens(tokenizer, Subject(3)), Tokens(tokenizer, reversed));
    }

    [Fact]
    public void SavedCanonical_IsWrittenAndReadBack_AndAFileWithoutTheSettingReadsAsInputOrder()
    {
        var canonical = Fit();
        var folder = _temp.File("model");
        canonical.Save(folder);
        var path = Path.Combine(folder, "tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;

        Assert.Equal("canonical", (string?)json["settings"]!["tie_order"]);
        Assert.Equal(TieOrder.Canonical, TimelineTokenizer.Load(folder).Settings.TieOrder);

        json["settings"]!.AsObject().Remove("tie_order");
        File.WriteAllText(path, json.ToJsonString());
        Assert.Equal(TieOrder.Input, TimelineTokenizer.Load(folder).Settings.TieOrder);

        var input = _temp.File("input");
        Fit(TokenizerSettings.Default with { TieOrder = TieOrder.Input }).Save(input);
        Assert.DoesNotContain("tie_order", File.ReadAllText(Path.Combine(input, "tokenizer.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void SavedTieOrderOfAnotherName_IsRefusedNamingTheFile()
    {
        var folder = _temp.File("model");
        Fit().Save(folder);
        var path = Path.Combine(folder, "tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["settings"]!["tie_order"] = "by-arrival";
        File.WriteAllText(path, json.ToJsonString());

        var error = Assert.Throws<InvalidDataException>(() => TimelineTokenizer.Load(folder));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("tie_order", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCommittedDemoTokenizer_WritesEachTimestampCanonically_SoARecordGivesOneAnswerInAnyOrder()
    {
        // Until 2026-12-07 the demo model kept the simulator's input order, and the service's order of a record's
        // resources (by type, then id) cost its heads 0.03-0.05 AUROC on new patients (docs/demo-model.md, "What the
        // service reads"). It is now trained on the canonical order, with the placement rules of its time.
        var tokenizer = TimelineTokenizer.Load(RepositoryPaths.Combine("models", "demo"));
        Assert.Equal(TieOrder.Canonical, tokenizer.Settings.TieOrder);
        Assert.True(tokenizer.Settings.PlaceDateOnlyDeaths);
        Assert.True(tokenizer.Settings.TransfersCloseFirst);

        MedsEvent[] stay =
        [
            Static(7, "GENDER//F"),
            At(7, TimeSpan.Zero, "ED_REGISTRATION"),
            At(7, TimeSpan.FromMinutes(10), "LOINC//8867-4///min", 118),
            At(7, TimeSpan.FromMinutes(10), "LOINC//8310-5//Cel", 38.4f),
            At(7, TimeSpan.FromMinutes(10), "LOINC//2160-0//mg/dL", 2.1f),
            At(7, TimeSpan.FromMinutes(10), "LOINC//2524-7//mmol/L", 3.9f),
            At(7, TimeSpan.FromHours(4), "ED_OUT"),
            At(7, TimeSpan.FromHours(4), "HOSPITAL_ADMISSION//IMP"),
        ];
        Assert.All(stay.Where(e => !e.IsStatic), e => Assert.True(tokenizer.Vocabulary.TryGetId(e.Code, out _), e.Code));
        var shuffled = (MedsEvent[])stay.Clone();
        new Random(3).Shuffle(shuffled.AsSpan(2, 4)); // the panel
        var expected = Tokens(tokenizer, stay);
        Assert.Equal(expected, Tokens(tokenizer, TiesReversed(stay)));
        Assert.Equal(expected, Tokens(tokenizer, shuffled));
    }

    [Fact]
    public void ThePlacementRules_AreSavedWithANewTokenizer_AndAFileWithoutThemReadsWithoutThem()
    {
        var data = Write(_temp.File("rules"), [Subject(1)]);
        var saved = _temp.File("saved");
        TimelineTokenizer.Fit(data).Save(saved);
        var json = File.ReadAllText(Path.Combine(saved, "tokenizer.json"));
        var loaded = TimelineTokenizer.Load(saved).Settings;

        Assert.Contains("\"date_only_deaths\": true", json, StringComparison.Ordinal);
        Assert.Contains("\"transfers_close_first\": true", json, StringComparison.Ordinal);
        Assert.True(loaded.PlaceDateOnlyDeaths && loaded.TransfersCloseFirst);

        var older = JsonNode.Parse(json)!;
        older["settings"]!.AsObject().Remove("date_only_deaths");
        older["settings"]!.AsObject().Remove("transfers_close_first");
        File.WriteAllText(Path.Combine(saved, "tokenizer.json"), older.ToJsonString());
        var before = TimelineTokenizer.Load(saved).Settings;
        Assert.False(before.PlaceDateOnlyDeaths || before.TransfersCloseFirst);
    }
}
