using System.Globalization;
using System.Text.RegularExpressions;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Tests;

/// <summary>
/// Test-only reference twin of <see cref="FhirDates"/>: the earlier regex implementation, kept because it is short
/// enough to check against R4 §2.24.0.1 by eye. <c>FhirDatesTests</c> compares the fast scanner with it on hand-picked
/// and random input. Never call it from production code; it allocates and is several times slower.
/// </summary>
/// <remarks>
/// Two deliberate departures from the regex as it stood, both making the reference follow the FHIR grammar:
/// digits are <c>[0-9]</c> rather than <c>\d</c>, which also matched non-ASCII digits (Arabic-Indic, fullwidth) that
/// <see cref="int.Parse(ReadOnlySpan{char}, IFormatProvider)"/> then rejected with a <see cref="FormatException"/>;
/// and the pattern ends in <c>\z</c> rather than <c>$</c>, which also matched before a trailing newline and so
/// accepted <c>"2023\n"</c>.
/// </remarks>
internal static partial class FhirDatesReference
{
    [GeneratedRegex(@"^(?<y>[0-9]{4})(-(?<mo>[0-9]{2})(-(?<d>[0-9]{2})(T(?<h>[0-9]{2}):(?<mi>[0-9]{2})(:(?<s>[0-9]{2})(\.(?<f>[0-9]{1,29}))?)?(?<z>Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?\z",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex Pattern();

    public static bool TryParse(string? text, out FhirDateTime value, out bool withoutZone)
    {
        value = default;
        withoutZone = false;
        if (text is null || text.Length > 40)
            return false;
        var match = Pattern().Match(text);
        if (!match.Success)
            return false;
        var year = Number(match, "y");
        var month = match.Groups["mo"].Success ? Number(match, "mo") : 1;
        var day = match.Groups["d"].Success ? Number(match, "d") : 1;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
            return false;
        var date = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc);
        if (!match.Groups["h"].Success)
        {
            var precision = match.Groups["d"].Success ? FhirDatePrecision.Day
                : match.Groups["mo"].Success ? FhirDatePrecision.Month : FhirDatePrecision.Year;
            value = new FhirDateTime(date, precision);
            return true;
        }
        return TryAddTime(match, date, out value, out withoutZone);
    }

    private static bool TryAddTime(Match match, DateTime date, out FhirDateTime value, out bool withoutZone)
    {
        value = default;
        withoutZone = false;
        var hour = Number(match, "h");
        var minute = Number(match, "mi");
        var second = match.Groups["s"].Success ? Number(match, "s") : 0;
        if (hour > 23 || minute > 59 || second > 60)
            return false;
        var fraction = match.Groups["f"].Value;
        var ticks = fraction.Length == 0 ? 0 : long.Parse(fraction.PadRight(7, '0')[..7], CultureInfo.InvariantCulture);
        if (second == 60)
            (second, ticks) = (59, TimeSpan.TicksPerSecond - 1);
        var local = date.Add(new TimeSpan(hour, minute, second)).AddTicks(ticks);
        var zone = match.Groups["z"].Value;
        withoutZone = zone.Length == 0;
        var offset = zone is "" or "Z" ? TimeSpan.Zero : Offset(zone);
        if (offset is null)
            return false;
        var utcTicks = local.Ticks - offset.Value.Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks)
            return false;
        var precision = match.Groups["s"].Success ? FhirDatePrecision.Second : FhirDatePrecision.Minute;
        value = new FhirDateTime(new DateTime(utcTicks, DateTimeKind.Utc), precision) { AtLocalMidnight = local.TimeOfDay == TimeSpan.Zero };
        return true;
    }

    private static TimeSpan? Offset(string zone)
    {
        var hours = int.Parse(zone.AsSpan(1, 2), CultureInfo.InvariantCulture);
        var minutes = int.Parse(zone.AsSpan(4, 2), CultureInfo.InvariantCulture);
        if (hours > 14 || minutes > 59 || (hours == 14 && minutes > 0))
            return null;
        var offset = new TimeSpan(hours, minutes, 0);
        return zone[0] == '-' ? -offset : offset;
    }

    private static int Number(Match match, string group) => int.Parse(match.Groups[group].ValueSpan, CultureInfo.InvariantCulture);
}
