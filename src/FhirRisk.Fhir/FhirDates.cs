using System.Globalization;
using System.Text.RegularExpressions;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir;

/// <summary>
/// Parses FHIR date, dateTime and instant strings (R4 §2.24.0.1) into <see cref="FhirDateTime"/>: <c>YYYY</c>,
/// <c>YYYY-MM</c>, <c>YYYY-MM-DD</c>, and <c>YYYY-MM-DDThh:mm[:ss[.fff…]][Z|±hh:mm]</c>. Offsets are applied so the
/// result is UTC. R4 requires a zone whenever a time is given; a time without one is read as UTC and flagged through
/// <c>withoutZone</c> so the caller can warn. Fractions beyond 100 ns (7 digits) are truncated.
/// </summary>
public static partial class FhirDates
{
    [GeneratedRegex(@"^(?<y>\d{4})(-(?<mo>\d{2})(-(?<d>\d{2})(T(?<h>\d{2}):(?<mi>\d{2})(:(?<s>\d{2})(\.(?<f>\d{1,9}))?)?(?<z>Z|[+-]\d{2}:\d{2})?)?)?)?$",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex Pattern();

    public static bool TryParse(string? text, out FhirDateTime value) => TryParse(text, out value, out _);

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
        if (hour > 23 || minute > 59 || second > 59)
            return false; // leap second "60" is not representable in DateTime; R4 allows it only in theory
        var fraction = match.Groups["f"].Value;
        var ticks = fraction.Length == 0 ? 0 : long.Parse(fraction.PadRight(7, '0')[..7], CultureInfo.InvariantCulture);
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
        value = new FhirDateTime(new DateTime(utcTicks, DateTimeKind.Utc), precision);
        return true;
    }

    private static TimeSpan? Offset(string zone)
    {
        var hours = int.Parse(zone.AsSpan(1, 2), CultureInfo.InvariantCulture);
        var minutes = int.Parse(zone.AsSpan(4, 2), CultureInfo.InvariantCulture);
        if (hours > 14 || minutes > 59)
            return null;
        var offset = new TimeSpan(hours, minutes, 0);
        return zone[0] == '-' ? -offset : offset;
    }

    private static int Number(Match match, string group) => int.Parse(match.Groups[group].ValueSpan, CultureInfo.InvariantCulture);
}
