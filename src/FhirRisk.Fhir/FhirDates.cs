using System.Buffers;
using System.Text;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir;

/// <summary>
/// Parses FHIR date, dateTime and instant strings (R4 §2.24.0.1) into <see cref="FhirDateTime"/>: <c>YYYY</c>,
/// <c>YYYY-MM</c>, <c>YYYY-MM-DD</c>, and <c>YYYY-MM-DDThh:mm[:ss[.fff…]][Z|±hh:mm]</c>. Offsets are applied so the
/// result is UTC. R4 requires a zone whenever a time is given; a time without one is parsed as UTC (the caller applies the site zone, <see cref="InZone"/>) and flagged through
/// <c>withoutZone</c> so the caller can warn. Fractions beyond 100 ns (7 digits) are truncated.
/// </summary>
/// <remarks>
/// Dates are parsed for every element of every resource ingested, so this is a hand-written scanner that allocates
/// nothing, on success or failure. The grammar is ASCII only (R4 regexes use <c>[0-9]</c>), so a character version
/// narrows to bytes and one implementation serves both strings and UTF-8 read straight from JSON. The test project
/// keeps the earlier regex implementation as <c>FhirDatesReference</c> and compares the two on random input.
/// </remarks>
public static class FhirDates
{
    /// <summary>
    /// Longest input inspected: a value with <see cref="AsciiReader.MaxFractionDigits"/> fraction digits and an offset
    /// has 55 characters, so anything past this bound is rejected without scanning, and a character input narrows into a
    /// stack buffer.
    /// </summary>
    private const int MaxLength = 64;

    /// <summary>Largest zone offset hour accepted: real offsets run from -12:00 to +14:00.</summary>
    private const int MaxOffsetHours = 14;

    public static bool TryParse(string? text, out FhirDateTime value) => TryParse(text, out value, out _);

    /// <summary>
    /// <paramref name="value"/> as <paramref name="zone"/> reads it, for the values that carry no zone of their own: a
    /// partial date (<c>YYYY</c>, <c>YYYY-MM</c>, <c>YYYY-MM-DD</c>) starts at that zone's local midnight and ends the
    /// tick before the next period's (<see cref="FhirDateTime.PeriodEndUtc"/>), and a time parsed without an offset
    /// (<paramref name="withoutZone"/>) is that zone's wall time; one of exactly midnight also names its local day, which
    /// ends the tick before the zone's next midnight (<see cref="FhirDateTime.DayEndUtc"/>). A wall time inside a daylight-saving gap (one the
    /// clocks skip) is read as if they had not yet moved, so it lands just after the gap; one that occurs twice (clocks
    /// turned back) is the later instant, and a midnight that occurs twice begins its day at the first. Values with an
    /// offset are returned as they are, and so is every value under UTC.
    /// </summary>
    public static FhirDateTime InZone(FhirDateTime value, bool withoutZone, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (IsUtc(zone) || (value.HasTime && !withoutZone))
            return value;
        if (value.HasTime)
        {
            if (ToUtc(value.Utc, zone, earliest: false) is not { } wall)
                return value;
            // A zoneless midnight names its local day (AtLocalMidnight): that day ends where the zone's next one begins.
            return value.AtLocalMidnight && value.Utc < DateTime.MaxValue.AddDays(-1) && ToUtc(value.Utc.AddDays(1), zone, earliest: true) is { } dayEnd
                ? value with { Utc = wall, DayEndUtc = dayEnd > wall ? dayEnd.AddTicks(-10) : wall }
                : value with { Utc = wall };
        }
        var start = value.Utc;
        DateTime next;
        try
        {
            next = value.Precision switch
            {
                FhirDatePrecision.Year => start.AddYears(1),
                FhirDatePrecision.Month => start.AddMonths(1),
                _ => start.AddDays(1),
            };
        }
        catch (ArgumentOutOfRangeException)
        {
            return value; // the last period of year 9999: no next midnight to end at, so it stays a UTC date
        }
        // A day the clocks skip whole has no instants: it ends where it starts.
        return ToUtc(start, zone, earliest: true) is { } from && ToUtc(next, zone, earliest: true) is { } to
            ? value with { Utc = from, PeriodEndUtc = to > from ? to.AddTicks(-10) : from, Zone = zone }
            : value;
    }

    /// <summary>Whether <paramref name="zone"/> is UTC for every instant (no offset, no daylight saving).</summary>
    public static bool IsUtc(TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return ReferenceEquals(zone, TimeZoneInfo.Utc) || (zone.BaseUtcOffset == TimeSpan.Zero && !zone.SupportsDaylightSavingTime);
    }

    /// <summary>
    /// The UTC instant of wall time <paramref name="wall"/> in <paramref name="zone"/>; null when it falls outside the range
    /// of <see cref="DateTime"/>. A time the clocks skip is read with the offset in force just before the skip, so it lands
    /// just after it (a whole skipped day — Apia, 2011-12-30 — lands where the next day begins); a time that occurs twice
    /// is the earlier of its instants for a day's start (<paramref name="earliest"/>: the day begins at its first
    /// midnight) and the later otherwise. Offsets, not the zone's "standard" one, decide: tzdata gives Europe/Dublin a
    /// negative daylight saving, so its standard time is the summer's.
    /// </summary>
    private static DateTime? ToUtc(DateTime wall, TimeZoneInfo zone, bool earliest)
    {
        // Decided from UTC instants and the zone's offset at each (which follows tzdata's transitions exactly), not from
        // TimeZoneInfo.IsInvalidTime/IsAmbiguousTime, which misread zones whose daylight saving is negative (Dublin).
        var local = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
        try
        {
            var guess = DateTime.SpecifyKind(local - zone.BaseUtcOffset, DateTimeKind.Utc);
            Span<TimeSpan> offsets = [zone.GetUtcOffset(guess.AddHours(-26)), zone.GetUtcOffset(guess), zone.GetUtcOffset(guess.AddHours(26))];
            DateTime? found = null;
            foreach (var offset in offsets)
            {
                var utc = DateTime.SpecifyKind(local - offset, DateTimeKind.Utc);
                if (TimeZoneInfo.ConvertTimeFromUtc(utc, zone) != local)
                    continue;
                if (found is not { } other || (earliest ? utc < other : utc > other))
                    found = utc;
            }
            if (found is { } instant)
                return instant;
            // Skipped by the clocks: read with the offset in force before the skip (at the earliest candidate instant,
            // which lies before it), so the time lands just after the skip.
            var largest = offsets[0];
            foreach (var offset in offsets)
                largest = offset > largest ? offset : largest;
            var before = zone.GetUtcOffset(DateTime.SpecifyKind(local - largest, DateTimeKind.Utc));
            return DateTime.SpecifyKind(local - before, DateTimeKind.Utc);
        }
        catch (ArgumentException)
        {
            return null; // within an offset of DateTime's ends
        }
    }

    public static bool TryParse(string? text, out FhirDateTime value, out bool withoutZone)
    {
        value = default;
        withoutZone = false;
        return text is not null && TryParse(text.AsSpan(), out value, out withoutZone);
    }

    public static bool TryParse(ReadOnlySpan<char> text, out FhirDateTime value, out bool withoutZone)
    {
        value = default;
        withoutZone = false;
        if (text.Length > MaxLength)
            return false;
        Span<byte> ascii = stackalloc byte[MaxLength];
        return Ascii.FromUtf16(text, ascii, out var length) == OperationStatus.Done
            && TryParse(ascii[..length], out value, out withoutZone);
    }

    /// <summary>Parses UTF-8 bytes, e.g. a JSON string value; any non-ASCII byte makes the value invalid.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out FhirDateTime value, out bool withoutZone)
    {
        value = default;
        withoutZone = false;
        if (utf8.Length > MaxLength)
            return false;
        var reader = new AsciiReader(utf8);
        if (!TryReadDate(ref reader, out var date, out var precision))
            return false;
        if (precision == FhirDatePrecision.Day && reader.TryTake('T'))
            return TryReadTime(ref reader, date, out value, out withoutZone);
        if (!reader.AtEnd)
            return false;
        value = new FhirDateTime(date, precision);
        return true;
    }

    /// <summary>Reads <c>YYYY[-MM[-DD]]</c>, checking the calendar; the precision says how much was given.</summary>
    private static bool TryReadDate(ref AsciiReader reader, out DateTime date, out FhirDatePrecision precision)
    {
        date = default;
        precision = FhirDatePrecision.Year;
        var month = 1;
        var day = 1;
        if (!reader.TryTakeDigits(4, out var year))
            return false;
        if (reader.TryTake('-'))
        {
            if (!reader.TryTakeDigits(2, out month))
                return false;
            precision = FhirDatePrecision.Month;
            if (reader.TryTake('-'))
            {
                if (!reader.TryTakeDigits(2, out day))
                    return false;
                precision = FhirDatePrecision.Day;
            }
        }
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
            return false;
        date = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc);
        return true;
    }

    /// <summary>Reads <c>hh:mm[:ss[.f…]][zone]</c> after the <c>T</c> and shifts <paramref name="date"/> to UTC.</summary>
    private static bool TryReadTime(ref AsciiReader reader, DateTime date, out FhirDateTime value, out bool withoutZone)
    {
        value = default;
        withoutZone = false;
        if (!reader.TryTakeDigits(2, out var hour) || !reader.TryTake(':') || !reader.TryTakeDigits(2, out var minute))
            return false;
        var precision = FhirDatePrecision.Minute;
        var second = 0;
        var fractionTicks = 0L;
        if (reader.TryTake(':'))
        {
            if (!reader.TryTakeDigits(2, out second))
                return false;
            precision = FhirDatePrecision.Second;
            if (reader.TryTake('.') && !reader.TryTakeFraction(out fractionTicks))
                return false;
        }
        if (hour > 23 || minute > 59 || second > 60)
            return false;
        if (second == 60)
            (second, fractionTicks) = (59, TimeSpan.TicksPerSecond - 1); // a leap second (R4 allows "60"): the minute's last tick
        if (!TryReadZone(ref reader, out var offsetTicks, out var zoned) || !reader.AtEnd)
            return false;
        var utcTicks = date.Ticks + hour * TimeSpan.TicksPerHour + minute * TimeSpan.TicksPerMinute
            + second * TimeSpan.TicksPerSecond + fractionTicks - offsetTicks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks)
            return false;
        value = new FhirDateTime(new DateTime(utcTicks, DateTimeKind.Utc), precision)
        {
            AtLocalMidnight = hour == 0 && minute == 0 && second == 0 && fractionTicks == 0,
        };
        withoutZone = !zoned;
        return true;
    }

    /// <summary>Reads an optional <c>Z</c> or <c>±hh:mm</c>; a missing zone is read as UTC with <paramref name="zoned"/> false.</summary>
    private static bool TryReadZone(ref AsciiReader reader, out long offsetTicks, out bool zoned)
    {
        offsetTicks = 0;
        zoned = true;
        if (reader.TryTake('Z'))
            return true;
        var sign = reader.TryTake('+') ? 1 : reader.TryTake('-') ? -1 : 0;
        if (sign == 0)
        {
            zoned = false;
            return true;
        }
        if (!reader.TryTakeDigits(2, out var hours) || !reader.TryTake(':') || !reader.TryTakeDigits(2, out var minutes)
            || hours > MaxOffsetHours || minutes > 59 || (hours == MaxOffsetHours && minutes > 0))
            return false;
        offsetTicks = sign * (hours * TimeSpan.TicksPerHour + minutes * TimeSpan.TicksPerMinute);
        return true;
    }

    /// <summary>
    /// A forward-only position in ASCII text. Each <c>TryTake…</c> consumes its token only when the whole token is
    /// there, so a parser can probe optional parts and leave anything unexpected for the final <see cref="AtEnd"/>.
    /// </summary>
    private ref struct AsciiReader(ReadOnlySpan<byte> text)
    {
        /// <summary>R4's pattern allows any number of fraction digits (<c>(\.[0-9]+)?</c>), so a precise clock's ten or
        /// twelve are read (review s21-fhir L1: ten were refused and the event lost); DateTime keeps seven (100 ns ticks),
        /// and more than 29 are refused as no clock's.</summary>
        public const int MaxFractionDigits = 29;
        private const int TickDigits = 7;

        private readonly ReadOnlySpan<byte> _text = text;
        private int _position;

        public readonly bool AtEnd => _position == _text.Length;

        public bool TryTake(char expected)
        {
            if (_position >= _text.Length || _text[_position] != expected)
                return false;
            _position++;
            return true;
        }

        /// <summary>Takes exactly <paramref name="count"/> ASCII digits as a non-negative number.</summary>
        public bool TryTakeDigits(int count, out int value)
        {
            value = 0;
            if (_position + count > _text.Length)
                return false;
            for (var i = _position; i < _position + count; i++)
            {
                if (!char.IsAsciiDigit((char)_text[i]))
                    return false;
                value = value * 10 + (_text[i] - '0');
            }
            _position += count;
            return true;
        }

        /// <summary>Takes one to <see cref="MaxFractionDigits"/> fraction digits as ticks, ignoring digits finer than a tick (truncation).</summary>
        public bool TryTakeFraction(out long ticks)
        {
            ticks = 0;
            var digits = 0;
            while (digits < MaxFractionDigits && _position < _text.Length && char.IsAsciiDigit((char)_text[_position]))
            {
                if (digits < TickDigits)
                    ticks = ticks * 10 + (_text[_position] - '0');
                digits++;
                _position++;
            }
            for (var scale = digits; scale < TickDigits; scale++)
                ticks *= 10;
            return digits > 0;
        }
    }
}
