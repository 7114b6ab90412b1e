using FhirRisk.Meds;
using FhirRisk.Testing;
using static FhirRisk.Tokenizer.Tests.SmallDatasets;

namespace FhirRisk.Tokenizer.Tests;

/// <summary>
/// Date-only codes (MEDS_transforms' MIMIC-IV writes ICD procedures at midnight of their chart date): with
/// <see cref="TokenizerSettings.DayEndCodes"/> they move to the end of their day, so a prompt cut at the same day's
/// admission does not read the stay's own procedures; without it the fit names them.
/// </summary>
public sealed class DayEndCodesTests : IDisposable
{
    private const string Procedure = "PROCEDURE//ICD//9//9672";
    private const string Admission = "HOSPITAL_ADMISSION//EW EMER.";
    private const string Lab = "LOINC//2160-0//mg/dL";

    private static readonly DateTime Day = new(2187, 2, 10);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Apply_MovesAMatchingMidnightEventAfterTheRestOfItsDay()
    {
        MedsEvent[] events =
        [
            new(1, null, "GENDER//F"),
            new(1, Day.AddDays(-1).AddHours(9), Lab, 1),
            new(1, Day, Procedure),
            new(1, Day, "DIAGNOSIS//ICD//10//I10"),
            new(1, Day.AddHours(15), "ED_REGISTRATION"),
            new(1, Day.AddHours(19), Admission),
            new(1, Day.AddDays(1).AddHours(1), Lab, 2),
        ];

        var moved = DayEndCodes.Apply(["PROCEDURE//ICD"], events);

        Assert.Equal(["GENDER//F", Lab, "DIAGNOSIS//ICD//10//I10", "ED_REGISTRATION", Admission, Procedure, Lab], moved.Select(e => e.Code));
        Assert.Equal(Day.AddDays(1).AddTicks(-10), moved[5].Time);
        Assert.Equal(Day, moved[2].Time); // midnight, but not a day-end code
    }

    [Theory]
    [InlineData("PROCEDURE//ICD", "PROCEDURE//ICD//9//9672", true)]
    [InlineData("PROCEDURE//ICD", "PROCEDURE//ICD", true)]
    [InlineData("PROCEDURE//", "PROCEDURE//ICD//9//9672", true)]
    [InlineData("LAB//5091", "LAB//50912", false)]
    [InlineData("Blood Pressure", "Blood Pressure Lying", false)]
    [InlineData("PROCEDURE//ICD", "PROCEDURE//ICDX", false)]
    public void Matches_TakesACodeOrWhatContinuesItAfterASeparator(string prefix, string code, bool matches) =>
        Assert.Equal(matches, DayEndCodes.Matches([prefix], code));

    [Fact]
    public void Apply_LeavesTimedEventsOfTheCodeAndUnlistedCodesWhereTheyAre()
    {
        MedsEvent[] events = [new(1, Day.AddHours(3), Procedure), new(1, Day.AddHours(4), Lab, 1)];

        Assert.Same(events, DayEndCodes.Apply(["PROCEDURE//ICD"], events));
        Assert.Same(events, DayEndCodes.Apply([], events));
    }

    [Fact]
    public void Apply_KeepsOtherEventsOutOfOrder_SoUnsortedInputIsStillRefused()
    {
        MedsEvent[] events = [new(1, Day.AddHours(5), Lab, 1), new(1, Day, Procedure), new(1, Day.AddHours(2), Lab, 2)];

        var moved = DayEndCodes.Apply(["PROCEDURE//ICD"], events);

        Assert.Equal([Day.AddHours(5), Day.AddHours(2), Day.AddDays(1).AddTicks(-10)], moved.Select(e => e.Time!.Value));
    }

    [Fact]
    public void Encode_WithDayEndCodes_KeepsTheStaysOwnProcedureOutOfTheAdmissionPrompt()
    {
        var admission = Day.AddHours(19);
        MedsEvent[] subject = [new(1, Day.AddDays(-30), Lab, 1), new(1, Day, Procedure), new(1, admission, Admission), new(1, Day.AddDays(2), Lab, 2)];
        var data = Write(_temp.File("meds"), [subject]);
        var plain = TimelineTokenizer.Fit(data);
        var dayEnd = TimelineTokenizer.Fit(data, TokenizerSettings.Default with { DayEndCodes = ["PROCEDURE//ICD"] });

        Assert.Contains(Procedure, PromptTokens(plain, subject, admission));
        Assert.DoesNotContain(Procedure, PromptTokens(dayEnd, subject, admission));
        Assert.Contains(Procedure, PromptTokens(dayEnd, subject, Day.AddDays(1)));
    }

    [Fact]
    public void Fit_NamesCodeGroupsRecordedAtMidnight_UntilTheyAreDayEndCodes()
    {
        var subjects = Enumerable.Range(1, DateOnlyCodeGroup.MinEvents).Select(s => new MedsEvent[]
        {
            new(s, Day.AddDays(s).AddHours(8), Lab, s),
            new(s, Day.AddDays(s + 1), Procedure),
            new(s, Day.AddDays(s + 1).AddHours(10), Admission),
        }).ToArray();
        var data = Write(_temp.File("meds"), subjects);

        var plain = TimelineTokenizer.Fit(data).FittedOn.DateOnlyGroups;
        var dayEnd = TimelineTokenizer.Fit(data, TokenizerSettings.Default with { DayEndCodes = ["PROCEDURE//ICD"] }).FittedOn.DateOnlyGroups;

        var group = Assert.Single(plain);
        Assert.Equal(("PROCEDURE//ICD", DateOnlyCodeGroup.MinEvents, DateOnlyCodeGroup.MinEvents), (group.Prefix, (int)group.Events, (int)group.AtMidnight));
        Assert.Empty(dayEnd);
    }

    [Fact]
    public void SaveAndLoad_KeepsTheDayEndCodes_AndATokenizerWithoutThemWritesNoSuchKey()
    {
        var data = Write(_temp.File("meds"), [[new(1, Day, Procedure), new(1, Day.AddHours(10), Admission)]]);
        var withCodes = _temp.File("with");
        var without = _temp.File("without");
        TimelineTokenizer.Fit(data, TokenizerSettings.Default with { DayEndCodes = ["PROCEDURE//ICD", "HCPCS"] }).Save(withCodes);
        TimelineTokenizer.Fit(data).Save(without);

        Assert.Equal(["PROCEDURE//ICD", "HCPCS"], TimelineTokenizer.Load(withCodes).Settings.DayEndCodes);
        Assert.Empty(TimelineTokenizer.Load(without).Settings.DayEndCodes);
        Assert.DoesNotContain("day_end_codes", File.ReadAllText(Path.Combine(without, "tokenizer.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_PlacesAMidnightDeathAsTheLabelsDo_SoNoDischargePromptReadsIt()
    {
        // MIMIC-IV's dod at midnight, a hospice discharge at 14:00 that day: the readmission point at the discharge is
        // positive (the death follows it within 30 days), and its prompt read the death before the discharge.
        var discharge = Day.AddHours(14);
        MedsEvent[] subject =
        [
            new(1, Day.AddDays(-3), Admission, 7),
            new(1, Day.AddDays(-2), Lab, 7),
            new(1, Day, MedsSchema.DeathCode),
            new(1, discharge, "HOSPITAL_DISCHARGE//HOSPICE", 7),
        ];
        var tokenizer = TimelineTokenizer.Fit(Write(_temp.File("meds"), [subject]));

        Assert.DoesNotContain(MedsSchema.DeathCode, PromptTokens(tokenizer, subject, discharge));
        Assert.Contains(MedsSchema.DeathCode, PromptTokens(tokenizer, subject, Day.AddDays(1)));
        var label = new Meds.Tasks.TimelineLabeler(Meds.Tasks.TaskTimeline.Of(1, MedsSchema.TrainSplit, subject))
            .Label(Meds.Tasks.TaskCatalog.Create().Single(t => t.Name == Meds.Tasks.TaskCatalog.Readmission30d)).Single();
        Assert.Equal((discharge, true), (label.PredictionTime, label.Outcome.Label));
    }

    [Fact]
    public void Encode_AMidnightDeathWhoseDayHoldsOnlyDayEndCodes_StaysWhereTheLabelsKeepIt()
    {
        // The death is judged on the times MEDS gives: a date-only procedure of the same day, moved to the day's end
        // by --day-end-codes, must not move the death too (the labels apply no day-end codes).
        MedsEvent[] subject = [new(1, Day.AddDays(-2), Admission, 7), new(1, Day, MedsSchema.DeathCode), new(1, Day, Procedure)];
        var tokenizer = TimelineTokenizer.Fit(Write(_temp.File("meds"), [subject]), TokenizerSettings.Default with { DayEndCodes = ["PROCEDURE//ICD"] });

        var placed = tokenizer.InTieOrder(subject).Single(e => e.Code == MedsSchema.DeathCode);
        var labelled = Meds.Tasks.TaskTimeline.Of(1, MedsSchema.TrainSplit, subject);

        Assert.Equal(Day, placed.Time);
        Assert.Equal(Day, labelled.Times[labelled.Codes.ToList().IndexOf(MedsSchema.DeathCode)]);
    }

    [Fact]
    public void DateOnlyDeaths_MoveOnlyAMidnightDeathThatOtherEventsOfItsDayFollow()
    {
        MedsEvent[] alone = [new(1, Day.AddHours(-5), Lab, 1), new(1, Day, MedsSchema.DeathCode)];
        MedsEvent[] timed = [new(1, Day.AddHours(3), MedsSchema.DeathCode), new(1, Day.AddHours(4), Lab, 1)];
        MedsEvent[] followed = [new(1, null, "GENDER//F"), new(1, Day, MedsSchema.DeathCode), new(1, Day.AddHours(9), "ED_REGISTRATION"), new(1, Day.AddDays(2), Lab)];

        Assert.Same(alone, DateOnlyDeaths.Place(alone));
        Assert.Same(timed, DateOnlyDeaths.Place(timed));
        var moved = DateOnlyDeaths.Place(followed);
        Assert.Equal(["GENDER//F", "ED_REGISTRATION", MedsSchema.DeathCode, Lab], moved.Select(e => e.Code));
        Assert.Equal(Day.AddDays(1).AddTicks(-10), moved[2].Time);
    }

    [Fact]
    public void Validate_RefusesAnEmptyPrefix() =>
        Assert.Throws<ArgumentException>(() => (TokenizerSettings.Default with { DayEndCodes = [""] }).Validate());

    private static IEnumerable<string> PromptTokens(TimelineTokenizer tokenizer, MedsEvent[] subject, DateTime at)
    {
        var timeline = tokenizer.Encode(new MedsSubject(1, MedsSchema.TrainSplit, subject));
        var index = timeline.IndexAt(Internal.MicrosecondTime.From(at));
        return timeline.Tokens[..(index + 1)].ToArray().Select(id => tokenizer.Vocabulary.Tokens[id]);
    }
}
