using System.Globalization;
using System.Text;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Tests;

/// <summary>Dates without a time, and times without an offset, read in a site time zone (FhirReaderSettings.TimeZone).</summary>
public sealed class SiteTimeZoneTests
{
    private static readonly TimeZoneInfo NewYork = Zone("America/New_York");

    private static TimeZoneInfo Zone(string id) =>
        SiteTimeZone.TryFind(id, out var zone) ? zone : throw new InvalidOperationException($"the system has no time zone {id}");

    private static string Iso(DateTime value) => value.ToString("O", CultureInfo.InvariantCulture);

    private static FhirDateTime InZone(string text, TimeZoneInfo zone)
    {
        Assert.True(FhirDates.TryParse(text, out var value, out var withoutZone));
        return FhirDates.InZone(value, withoutZone, zone);
    }

    [Theory]
    // A winter day (EST, −5), a summer day (EDT, −4), the day the clocks go forward (23 h) and back (25 h).
    [InlineData("2024-01-15", "2024-01-15T05:00:00.0000000Z", "2024-01-16T04:59:59.9999990Z")]
    [InlineData("2024-07-04", "2024-07-04T04:00:00.0000000Z", "2024-07-05T03:59:59.9999990Z")]
    [InlineData("2024-03-10", "2024-03-10T05:00:00.0000000Z", "2024-03-11T03:59:59.9999990Z")]
    [InlineData("2024-11-03", "2024-11-03T04:00:00.0000000Z", "2024-11-04T04:59:59.9999990Z")]
    // A month and a year run from the zone's first local midnight to the tick before the next period's.
    [InlineData("2024-11", "2024-11-01T04:00:00.0000000Z", "2024-12-01T04:59:59.9999990Z")]
    [InlineData("2024", "2024-01-01T05:00:00.0000000Z", "2025-01-01T04:59:59.9999990Z")]
    public void PartialDates_AreTheZonesLocalDaysMonthsAndYears(string text, string start, string end)
    {
        var value = InZone(text, NewYork);

        Assert.Equal(start, Iso(value.Utc));
        Assert.Equal(end, Iso(value.UtcEnd));
        if (value.Precision == FhirDatePrecision.Day)
            Assert.Equal(end, Iso(value.UtcEndIfDay));
    }

    [Theory]
    [InlineData("America/New_York", "2024-07-04", "2024-07-04", "2024-07-04")]
    [InlineData("Europe/Berlin", "2024-07-04", "2024-07-04", "2024-07-04")] // starts 2024-07-03T22:00Z
    [InlineData("Pacific/Kiritimati", "2024-02", "2024-02-01", "2024-02-29")] // UTC+14
    [InlineData("Pacific/Pago_Pago", "2024", "2024-01-01", "2024-12-31")] // UTC−11
    public void PartialDates_KeepTheirWrittenDays_WhereverTheirInstantsFall(string zone, string text, string first, string last)
    {
        var value = InZone(text, Zone(zone));

        Assert.Equal(first, value.FirstDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Assert.Equal(last, value.LastDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("2024-07-01T10:00:00", "2024-07-01T14:00:00.0000000Z")] // wall clock, EDT
    [InlineData("2024-01-01T10:00", "2024-01-01T15:00:00.0000000Z")] // EST
    [InlineData("2024-03-10T02:30:00", "2024-03-10T07:30:00.0000000Z")] // inside the skipped hour: as if the clocks had not moved
    [InlineData("2024-11-03T01:30:00", "2024-11-03T06:30:00.0000000Z")] // twice that night: standard time, the later instant
    [InlineData("2024-07-01T10:00:00+02:00", "2024-07-01T08:00:00.0000000Z")] // an offset of its own wins
    [InlineData("2024-07-01T10:00:00Z", "2024-07-01T10:00:00.0000000Z")]
    public void Times_WithoutAnOffset_AreTheZonesWallClock(string text, string utc)
    {
        var value = InZone(text, NewYork);

        Assert.Equal(utc, Iso(value.Utc));
        Assert.Null(value.PeriodEndUtc);
    }

    [Theory]
    // A zoneless midnight names its local day (how exports write a by-date act): the day ends at the zone's next
    // midnight, 23 h later on the day the clocks go forward and 25 h on the day they go back.
    [InlineData("2024-07-01T00:00:00", "2024-07-01T04:00:00.0000000Z", "2024-07-02T03:59:59.9999990Z")]
    [InlineData("2024-03-10T00:00:00", "2024-03-10T05:00:00.0000000Z", "2024-03-11T03:59:59.9999990Z")]
    [InlineData("2024-11-03T00:00:00", "2024-11-03T04:00:00.0000000Z", "2024-11-04T04:59:59.9999990Z")]
    // With an offset of its own the day is 24 h of that offset, whatever the site's clocks do.
    [InlineData("2024-03-10T00:00:00-05:00", "2024-03-10T05:00:00.0000000Z", "2024-03-11T04:59:59.9999990Z")]
    public void AZonelessMidnight_EndsItsDayAtTheZonesNextMidnight(string text, string start, string dayEnd)
    {
        var value = InZone(text, NewYork);

        Assert.True(value.AtLocalMidnight);
        Assert.Equal(start, Iso(value.Utc));
        Assert.Equal(start, Iso(value.UtcEnd)); // an instant: its period ends where it starts
        Assert.Equal(dayEnd, Iso(value.UtcEndIfDay));
    }

    [Theory]
    // tzdata gives Dublin a negative daylight saving (its "standard" time is the summer's): offsets decide, not that label.
    [InlineData("Europe/Dublin", "2024-03-31T01:30:00", "2024-03-31T01:30:00.0000000Z")] // skipped hour: just after it (02:30 IST)
    [InlineData("Europe/Dublin", "2024-10-27T01:30:00", "2024-10-27T01:30:00.0000000Z")] // twice: the later instant (01:30 GMT)
    [InlineData("America/Havana", "2023-11-05T00:30:00", "2023-11-05T05:30:00.0000000Z")] // twice (clocks back at 01:00): the later
    public void WallTimes_InGapsAndRepeats_FollowTheOffsetsOfTheirZone(string zone, string text, string utc) =>
        Assert.Equal(utc, Iso(InZone(text, Zone(zone)).Utc));

    [Theory]
    // Havana turns its clocks back from 01:00 to 00:00: the 5th begins at its first midnight, where the 4th ends.
    [InlineData("America/Havana", "2023-11-04", "2023-11-04T04:00:00.0000000Z", "2023-11-05T03:59:59.9999990Z")]
    [InlineData("America/Havana", "2023-11-05", "2023-11-05T04:00:00.0000000Z", "2023-11-06T04:59:59.9999990Z")]
    // Apia skipped 2011-12-30 whole: the 29th keeps its 24 hours, and the skipped day has no length, where the 31st begins.
    [InlineData("Pacific/Apia", "2011-12-29", "2011-12-29T10:00:00.0000000Z", "2011-12-30T09:59:59.9999990Z")]
    [InlineData("Pacific/Apia", "2011-12-30", "2011-12-30T10:00:00.0000000Z", "2011-12-30T10:00:00.0000000Z")]
    [InlineData("Pacific/Apia", "2011-12-31", "2011-12-30T10:00:00.0000000Z", "2011-12-31T09:59:59.9999990Z")]
    public void Days_BeginAtTheirFirstMidnight_AndASkippedDayHasNoLength(string zone, string text, string start, string end)
    {
        var value = InZone(text, Zone(zone));

        Assert.Equal(start, Iso(value.Utc));
        Assert.Equal(end, Iso(value.UtcEnd));
    }

    [Fact]
    public void UnderUtc_EveryValueIsAsParsed()
    {
        foreach (var text in new[] { "2024-03-10", "2024-11", "2024", "2024-07-01T10:00:00", "2024-07-01T10:00:00-04:00" })
        {
            Assert.True(FhirDates.TryParse(text, out var parsed, out var withoutZone));
            Assert.Equal(parsed, FhirDates.InZone(parsed, withoutZone, TimeZoneInfo.Utc));
            Assert.Equal(parsed, FhirDates.InZone(parsed, withoutZone, Zone("Etc/UTC")));
        }
    }

    [Fact]
    public void TheLastDayOfTheCalendar_StaysAUtcDate()
    {
        var value = InZone("9999-12-31", Zone("Pacific/Kiritimati"));

        Assert.Equal(FhirDatePrecision.Day, value.Precision);
        Assert.Equal("9999-12-31T00:00:00.0000000Z", Iso(value.Utc));
    }

    [Fact]
    public void TheParser_ReadsDatesInItsSettingsZone_AndSaysSoOfATimeWithoutAnOffset()
    {
        var json = Encoding.UTF8.GetBytes("""{"resourceType":"Condition","onsetDateTime":"2024-07-01T10:00:00","recordedDate":"2024-07-04"}""");
        var envelope = new FhirResourceEnvelope("Condition", "in.ndjson", "line 1", null, "scope", json);

        var utc = FhirResourceParser.Parse(envelope);
        var site = FhirResourceParser.Parse(envelope, FhirReaderSettings.Default with { TimeZone = NewYork });

        var atUtc = Assert.IsType<FhirCondition>(utc.Resource);
        var atSite = Assert.IsType<FhirCondition>(site.Resource);
        Assert.Equal("2024-07-04T00:00:00.0000000Z", Iso(atUtc.RecordedDate!.Value.Utc));
        Assert.Equal("2024-07-04T04:00:00.0000000Z", Iso(atSite.RecordedDate!.Value.Utc));
        Assert.Equal("2024-07-05T03:59:59.9999990Z", Iso(atSite.RecordedDate.Value.UtcEndIfDay));
        Assert.Equal("2024-07-01T14:00:00.0000000Z", Iso(atSite.Onset!.Value.Utc));
        Assert.Contains("read as UTC", Assert.Single(utc.Issues).Message, StringComparison.Ordinal);
        var issue = Assert.Single(site.Issues);
        Assert.Equal(FhirIssueCodes.DateTimeWithoutZone, issue.Code);
        Assert.Contains("site time zone (America/New_York)", issue.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("America/New_York", true)]
    [InlineData(" Europe/Berlin ", true)]
    [InlineData("UTC", true)]
    [InlineData("Mars/Olympus_Mons", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void TryFind_KnowsIanaIds(string? id, bool found)
    {
        Assert.Equal(found, SiteTimeZone.TryFind(id, out var zone));
        Assert.Equal(found, zone is not null);
        if (!found)
            Assert.Contains("IANA id", SiteTimeZone.Unknown("--time-zone", id), StringComparison.Ordinal);
    }
}
