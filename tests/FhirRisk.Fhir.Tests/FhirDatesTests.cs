using System.Globalization;
using System.Text;
using FhirRisk.Fhir.Model;
using Xunit.Abstractions;

namespace FhirRisk.Fhir.Tests;

public sealed class FhirDatesTests(ITestOutputHelper output)
{
    /// <summary>Enough near-valid strings to reach every branch of the grammar many times over.</summary>
    private const int RandomInputCount = 100_000;

    [Theory]
    [InlineData("2023", "2023-01-01T00:00:00.0000000Z", FhirDatePrecision.Year)]
    [InlineData("2023-02", "2023-02-01T00:00:00.0000000Z", FhirDatePrecision.Month)]
    [InlineData("2024-02-29", "2024-02-29T00:00:00.0000000Z", FhirDatePrecision.Day)]
    [InlineData("2023-02-03T04:05Z", "2023-02-03T04:05:00.0000000Z", FhirDatePrecision.Minute)]
    [InlineData("2023-02-03T04:05:06Z", "2023-02-03T04:05:06.0000000Z", FhirDatePrecision.Second)]
    [InlineData("2023-02-03T04:05:06.123456789+02:00", "2023-02-03T02:05:06.1234567Z", FhirDatePrecision.Second)]
    [InlineData("2023-12-31T23:30:00-05:00", "2024-01-01T04:30:00.0000000Z", FhirDatePrecision.Second)]
    [InlineData("2150-06-01", "2150-06-01T00:00:00.0000000Z", FhirDatePrecision.Day)]
    public void TryParse_ValidValue_ReturnsUtcAndPrecision(string text, string expectedUtc, FhirDatePrecision precision)
    {
        Assert.True(FhirDates.TryParse(text, out var value));
        Assert.Equal(expectedUtc, value.Utc.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(DateTimeKind.Utc, value.Utc.Kind);
        Assert.Equal(precision, value.Precision);
    }

    [Theory]
    [InlineData("")]
    [InlineData("23")]
    [InlineData("2023-13")]
    [InlineData("2023-02-30")]
    [InlineData("2023-02-03T25:00:00Z")]
    [InlineData("2023-02-03T04:05:06+15:00")]
    [InlineData("2023/02/03")]
    [InlineData("0000-01-01")]
    [InlineData("yesterday")]
    public void TryParse_InvalidValue_ReturnsFalse(string text) => Assert.False(FhirDates.TryParse(text, out _));

    [Fact]
    public void TryParse_TimeWithoutZone_ReadsUtcAndFlagsIt()
    {
        Assert.True(FhirDates.TryParse("2023-02-03T04:05:06", out var value, out var withoutZone));
        Assert.True(withoutZone);
        Assert.Equal(new DateTime(2023, 2, 3, 4, 5, 6, DateTimeKind.Utc), value.Utc);
    }

    [Theory]
    [InlineData("2187-02-10T00:00:00-04:00", true)]
    [InlineData("2187-02-10T00:00+05:30", true)]
    [InlineData("2187-02-10T00:00:00Z", true)]
    [InlineData("2187-02-10T04:00:00Z", false)]
    [InlineData("2187-02-10T00:00:00.001-04:00", false)]
    [InlineData("2187-02-10", false)]
    public void AtLocalMidnight_OnlyAZeroTimeInItsOwnOffset(string text, bool midnight)
    {
        Assert.True(FhirDates.TryParse(text, out var value));
        Assert.Equal(midnight, value.AtLocalMidnight);
        var dayEnd = value.UtcEndIfDay;
        Assert.Equal(midnight || value.Precision == FhirDatePrecision.Day ? value.Utc.AddDays(1).AddTicks(-10) : value.Utc, dayEnd);
    }

    [Fact]
    public void TryParse_LeapSecond_IsTheMinutesLastTick()
    {
        Assert.True(FhirDates.TryParse("2016-12-31T23:59:60Z", out var value));
        Assert.Equal(new DateTime(2017, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(-1), value.Utc);
    }

    [Theory]
    // R4's pattern allows any number of fraction digits; ten were refused and the event lost (review s21-fhir L1).
    [InlineData("2020-03-07T10:00:00.1234567891Z")]
    [InlineData("2020-03-07T10:00:00.123456789123-05:00")]
    [InlineData("2020-03-07T10:00:00.12345678901234567890123456789+14:00")]
    public void TryParse_ManyFractionDigits_AreReadToTheTick(string text)
    {
        Assert.True(FhirDates.TryParse(text, out var value));
        Assert.Equal(1_234_567, value.Utc.Ticks % TimeSpan.TicksPerSecond);
    }

    [Fact]
    public void TryParse_MoreFractionDigitsThanAnyClock_AreRefused() =>
        Assert.False(FhirDates.TryParse("2020-03-07T10:00:00." + new string('1', 30) + "Z", out _));

    [Fact]
    public void UtcEnd_MonthPrecision_IsLastTickOfMonth()
    {
        Assert.True(FhirDates.TryParse("2023-02", out var value));
        Assert.Equal(new DateTime(2023, 3, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(-10), value.UtcEnd);
    }

    [Theory]
    // A date in 9999 is valid R4, and legacy feeds write 9999-12-31 for "no end": its end is the calendar's last
    // instant, not an exception out of the mapping (review s21-fhir H1).
    [InlineData("9999")]
    [InlineData("9999-12")]
    [InlineData("9999-12-31")]
    [InlineData("9999-12-31T00:00:00Z")]
    [InlineData("9999-12-31T00:00:00")]
    public void The_end_of_a_date_in_the_calendars_last_period_is_its_last_instant(string text)
    {
        Assert.True(FhirDates.TryParse(text, out var value, out var withoutZone));
        var zoned = FhirDates.InZone(value, withoutZone, TimeZoneInfo.FindSystemTimeZoneById("America/New_York"));

        foreach (var read in new[] { value, zoned })
        {
            Assert.InRange(read.UtcEnd, read.Utc, DateTime.MaxValue);
            Assert.InRange(read.UtcEndIfDay, read.Utc, DateTime.MaxValue);
            Assert.True(read.LastDay >= read.FirstDay);
        }
        Assert.Equal(value.HasTime ? value.Utc : DateTime.MaxValue, value.UtcEnd);
        if (value.Precision == FhirDatePrecision.Day || value.AtLocalMidnight)
            Assert.Equal(DateTime.MaxValue, value.UtcEndIfDay);
    }

    [Fact]
    public void The_end_of_a_period_before_the_calendars_last_is_the_microsecond_before_the_next()
    {
        Assert.True(FhirDates.TryParse("9998", out var year));
        Assert.True(FhirDates.TryParse("9999-11", out var month));
        Assert.True(FhirDates.TryParse("9999-12-30", out var day));

        Assert.Equal(new DateTime(9999, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(-10), year.UtcEnd);
        Assert.Equal(new DateTime(9999, 12, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(-10), month.UtcEnd);
        Assert.Equal(new DateTime(9999, 12, 31, 0, 0, 0, DateTimeKind.Utc).AddTicks(-10), day.UtcEnd);
    }

    [Theory]
    [InlineData("2024-02-29T23:59:59.9999999Z", FhirDatePrecision.Second)]
    [InlineData("2023-02-03T04:05:06+14:00", FhirDatePrecision.Second)]
    [InlineData("2023-02-03T04:05-14:00", FhirDatePrecision.Minute)]
    [InlineData("2016-12-31T23:59:60Z", FhirDatePrecision.Second)] // a leap second: R4's dateTime pattern allows 60
    [InlineData("0001-01-01T00:00:00Z", FhirDatePrecision.Second)]
    [InlineData("9999-12-31T23:59:59.999999999Z", FhirDatePrecision.Second)]
    public void TryParse_EdgeOfRange_IsAccepted(string text, FhirDatePrecision precision)
    {
        Assert.True(FhirDates.TryParse(text, out var value, out var withoutZone));
        Assert.Equal(precision, value.Precision);
        Assert.False(withoutZone);
    }

    [Theory]
    [InlineData("2023-02-03T24:00:00Z")]
    [InlineData("2023-02-03T04:60Z")]
    [InlineData("2016-12-31T23:59:61Z")]
    [InlineData("2023-02-03T04:05:06+14:59")] // R4 allows offsets up to 14:00 only
    [InlineData("2023-02-03T04:05-14:30")]
    [InlineData("2023-02-03T04:05:06.123456789012345678901234567890Z")] // 30 fraction digits: no clock's
    [InlineData("2023-02-03T04:05:06.Z")]
    [InlineData("2023-02-03T04:05.5Z")]
    [InlineData("2023-02-03T04:05+15:00")]
    [InlineData("2023-02-03T04:05+05:60")]
    [InlineData("2023-02-03T04:05+0500")]
    [InlineData("0001-01-01T00:00:00+00:01")]
    [InlineData("9999-12-31T23:59:59-00:01")]
    [InlineData("2023Z")]
    [InlineData("2023-02-03Z")]
    [InlineData("2023-02T04:05Z")]
    [InlineData("2023-02-03t04:05Z")]
    [InlineData("2023-02-03T04:05z")]
    [InlineData(" 2023")]
    [InlineData("2023 ")]
    [InlineData("2023\n")]
    [InlineData("\u0662\u0660\u0662\u0663")]
    [InlineData("\uFF12\uFF10\uFF12\uFF13-01-01")]
    public void TryParse_OffGrammarOrOutOfRange_ReturnsFalse(string text)
    {
        Assert.False(FhirDates.TryParse(text, out var value, out var withoutZone));
        Assert.Equal(default, value);
        Assert.False(withoutZone);
    }

    [Fact]
    public void TryParse_CharSpanSlice_ParsesOnlyTheSlice()
    {
        Assert.True(FhirDates.TryParse("\"2019-02-13\"".AsSpan(1, 10), out var value, out _));
        Assert.Equal(new FhirDateTime(new DateTime(2019, 2, 13, 0, 0, 0, DateTimeKind.Utc), FhirDatePrecision.Day), value);
    }

    [Theory]
    [InlineData("2153-01-01T12:34:56-04:00", true)]
    [InlineData("\u0662\u0660\u0662\u0663", false)]
    [InlineData("2023-02-03T04:05:06\u00A0Z", false)]
    public void TryParse_Utf8_AgreesWithString(string text, bool valid)
    {
        var fromString = FhirDates.TryParse(text, out var expected, out var expectedWithoutZone);
        var fromUtf8 = FhirDates.TryParse(Encoding.UTF8.GetBytes(text), out var actual, out var withoutZone);
        Assert.Equal(valid, fromString);
        Assert.Equal((fromString, expected, expectedWithoutZone), (fromUtf8, actual, withoutZone));
    }

    [Fact]
    public void TryParse_SuccessAndFailure_AllocateNothing()
    {
        string[] texts = ["2153-01-01T12:34:56-04:00", "2019-02-13", "2023-02-03T04:05:06.123456789+02:00", "2023-02-30", "yesterday", "2023-02-03T04:05:06+15:00"];
        var utf8 = texts.Select(Encoding.UTF8.GetBytes).ToArray();
        ParseAll(texts, utf8); // JIT and static initialization happen on the first pass

        // The runtime may allocate once on this thread while it re-compiles a hot method (tiering); an allocation in
        // the parser would show in every round, so the fewest bytes over a few rounds is the measure.
        var fewest = long.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            ParseAll(texts, utf8);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);

        static void ParseAll(string[] texts, byte[][] utf8)
        {
            for (var i = 0; i < texts.Length; i++)
            {
                FhirDates.TryParse(texts[i], out _, out _);
                FhirDates.TryParse(utf8[i], out _, out _);
            }
        }
    }

    public static TheoryData<string> TrickyInputs() =>
    [
        "2023", "2023-02", "2023-02-03", "2023-02-03T04:05", "2023-02-03T04:05Z", "2023-02-03T04:05:06",
        "2023-02-03T04:05:06Z", "2023-02-03T04:05:06.1Z", "2023-02-03T04:05:06.1234567Z", "2023-02-03T04:05:06.12345678Z",
        "2023-02-03T04:05:06.123456789-03:30", "2023-02-03T04:05:06.1234567890Z",
        "2023-02-03T04:05:06+14:00", "2023-02-03T04:05:06-14:59", "2023-02-03T04:05:06+15:00", "2023-02-03T04:05:06-00:00",
        "2023-02-03T24:00", "2023-02-03T24:00Z", "2023-02-03T23:59:60Z", "2023-02-03T04:60Z",
        "2023-02-29", "2024-02-29", "2100-02-29", "2000-02-29", "2023-04-31", "2023-00-10", "2023-13-01", "2023-01-00",
        "0000", "0001", "9999-12-31", "0001-01-01T00:00Z", "0001-01-01T00:00+00:01", "0001-01-01T00:00-14:59",
        "9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59.9999999-00:01", "9999-12-31T23:59:59.9999999+14:59",
        " 2023", "2023 ", " 2023-02-03T04:05Z ", "2023\n", "2023-02-03T04:05Z\n", "\n2023",
        "2023Z", "2023-02Z", "2023-02-03Z", "2023-02-03T", "2023-02-03T04", "2023-02-03T04:5Z", "2023-02-03T04:05:6Z",
        "2023-02-03t04:05Z", "2023-02-03T04:05z", "2023-02-03T04:05:06.Z", "2023-02-03T04:05.5Z",
        "2023-02-03T04:05+0500", "2023-02-03T04:05+5:00", "2023-02-03T04:05+05", "2023-02-03 04:05Z",
        "23", "202", "20230", "2023-2", "2023-002", "2023/02/03", "+2023-02-03", "-2023", "",
        "\u0662\u0660\u0662\u0663", "\u06F2\u06F0\u06F2\u06F3-01-01", "\uFF12\uFF10\uFF12\uFF13",
        "2023-02-03T04:05:06.\u0661Z", "2023-\u0660\u0662", "2023-02-03T04:05:06\u00A0Z",
        "2023-02-03T04:05:06.123456789+02:00__________",
    ];

    [Theory]
    [MemberData(nameof(TrickyInputs))]
    public void TryParse_TrickyInput_AgreesWithReference(string text) => Assert.Null(Disagreement(text));

    [Fact]
    public void TryParse_RandomNearValidInput_AgreesWithReference()
    {
        var generator = new NearValidDateGenerator(seed: 20240229);
        var accepted = 0;
        var disagreements = new List<string>();
        for (var i = 0; i < RandomInputCount; i++)
        {
            var text = generator.Next();
            if (Disagreement(text) is { } disagreement)
                disagreements.Add(disagreement);
            else if (FhirDates.TryParse(text, out _))
                accepted++;
        }
        output.WriteLine($"{RandomInputCount} inputs, {accepted} accepted, {disagreements.Count} disagreements");
        Assert.Empty(disagreements.Take(10));
        // Both outcomes must be common, or the comparison says little about one side of the grammar.
        Assert.InRange(accepted, RandomInputCount / 5, RandomInputCount * 4 / 5);
    }

    /// <summary>Describes how the fast parser (string and UTF-8) differs from the reference twin, or null when all agree.</summary>
    private static string? Disagreement(string text)
    {
        var reference = Outcome.Of(FhirDatesReference.TryParse(text, out var value, out var withoutZone), value, withoutZone);
        var fromString = Outcome.Of(FhirDates.TryParse(text, out value, out withoutZone), value, withoutZone);
        var fromUtf8 = Outcome.Of(FhirDates.TryParse(Encoding.UTF8.GetBytes(text), out value, out withoutZone), value, withoutZone);
        return reference == fromString && reference == fromUtf8
            ? null
            : $"{Escape(text)}: reference {reference}, string {fromString}, UTF-8 {fromUtf8}";
    }

    private static string Escape(string text) =>
        string.Concat(text.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:X4}"));

    /// <summary>One parse result; <see cref="DateTime"/> equality ignores the kind, so it is compared separately.</summary>
    private readonly record struct Outcome(bool Success, FhirDateTime Value, DateTimeKind Kind, bool WithoutZone)
    {
        public static Outcome Of(bool success, FhirDateTime value, bool withoutZone) =>
            new(success, value, value.Utc.Kind, withoutZone);
    }
}
