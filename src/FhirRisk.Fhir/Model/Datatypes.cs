namespace FhirRisk.Fhir.Model;

// The narrow slice of FHIR R4 datatypes the risk model needs (https://hl7.org/fhir/R4/datatypes.html).
// Parsers fill these; anything not listed is ignored (and counted, never fatal).

/// <summary>A Coding: system URI, code, display.</summary>
public sealed record FhirCoding(string? System, string? Code, string? Display = null);

/// <summary>A CodeableConcept: its codings in document order, and its text.</summary>
public sealed record FhirCodeableConcept(IReadOnlyList<FhirCoding> Codings, string? Text = null)
{
    public static readonly FhirCodeableConcept Empty = new([], null);
}

/// <summary>
/// A Reference as written (<c>Patient/123</c>, an absolute URL, <c>urn:uuid:…</c>, <c>#contained</c>, or a conditional
/// <c>Patient?identifier=…</c>). Resolution happens later against the bundle / export being ingested.
/// </summary>
public sealed record FhirReference(string? Reference, string? Display = null);

/// <summary>How much of a FHIR date/dateTime/instant was given (R4 §2.24.0.1 "dateTime").</summary>
public enum FhirDatePrecision
{
    Year,
    Month,
    Day,
    Minute,
    Second,
}

/// <summary>
/// A FHIR date, dateTime or instant normalized to UTC. <see cref="Utc"/> is the earliest instant the value denotes
/// (start of year/month/day for partial dates; offsets applied when a time is present). <see cref="Precision"/>
/// keeps what was given so mappers can apply their documented defaults (e.g. end of day for discharges).
/// Partial dates without a time carry no zone: they are calendar dates of the reader's time zone
/// (<see cref="FhirReaderSettings.TimeZone"/>, UTC by default; <see cref="FhirDates.InZone"/>).
/// </summary>
public readonly record struct FhirDateTime(DateTime Utc, FhirDatePrecision Precision)
{
    public bool HasTime => Precision >= FhirDatePrecision.Minute;

    /// <summary>
    /// For a partial date read in a time zone other than UTC, the last instant it denotes (the tick before the next
    /// local midnight, month or year, which a daylight-saving change can put 23 or 25 hours after the start); null for
    /// UTC dates and for values with a time, whose end is computed.
    /// </summary>
    public DateTime? PeriodEndUtc { get; init; }

    /// <summary>The site time zone a partial date was read in (<see cref="FhirDates.InZone"/>); null for UTC dates and for
    /// values with a time, which are instants.</summary>
    public TimeZoneInfo? Zone { get; init; }

    /// <summary>
    /// The calendar day the value starts on: for a partial date the day as written (in <see cref="Zone"/>), for a value
    /// with a time the UTC day of its instant. Ages count in these days; OMOP's date columns take the site zone's day of
    /// an instant instead (OmopTime).
    /// </summary>
    public DateOnly FirstDay => DateOnly.FromDateTime(Zone is null ? Utc : TimeZoneInfo.ConvertTimeFromUtc(Utc, Zone));

    /// <summary>The calendar day the value ends on (the last day of a partial date's year, month or day), as <see cref="FirstDay"/> counts days.</summary>
    public DateOnly LastDay => DateOnly.FromDateTime(Zone is null ? UtcEnd : TimeZoneInfo.ConvertTimeFromUtc(UtcEnd, Zone));

    /// <summary>
    /// A time of exactly 00:00:00 in its own offset: how exports write a value that was recorded by date only (MIMIC-IV
    /// gives its ICD procedures, charted by date, as <c>…T00:00:00-04:00</c>).
    /// </summary>
    public bool AtLocalMidnight { get; init; }

    /// <summary>
    /// For a value that names a day rather than an instant — a date, or a time of exactly local midnight
    /// (<see cref="AtLocalMidnight"/>) — the last instant of that day; otherwise <see cref="Utc"/>. An act recorded by
    /// date happened at some time on that day, so only the day's end is sure not to put it before what else that day held.
    /// </summary>
    public DateTime UtcEndIfDay => Precision == FhirDatePrecision.Day ? UtcEnd : AtLocalMidnight ? DayEndUtc ?? BeforeNext(FhirDatePrecision.Day) : Utc;

    /// <summary>
    /// For a time of exactly midnight written without an offset and read in a site time zone (<see cref="AtLocalMidnight"/>,
    /// <see cref="FhirDates.InZone"/>), the tick before the zone's next midnight, which a daylight-saving change can put
    /// 23 or 25 hours later; null otherwise, where the day a midnight names is 24 hours of its own offset.
    /// </summary>
    public DateTime? DayEndUtc { get; init; }

    /// <summary>The last instant the value denotes (end of year/month/day for partial dates; itself otherwise).</summary>
    public DateTime UtcEnd => PeriodEndUtc ?? (Precision < FhirDatePrecision.Minute ? BeforeNext(Precision) : Utc);

    /// <summary>
    /// The last microsecond (10 ticks) before the next year, month or day after <see cref="Utc"/>; <see cref="DateTime.MaxValue"/> where that lies past the calendar's end: a date in 9999 is valid
    /// R4, and legacy feeds write <c>9999-12-31</c> for "no end" (review s21-fhir H1: it threw out of the mapping).
    /// </summary>
    private DateTime BeforeNext(FhirDatePrecision unit)
    {
        var last = DateTime.MaxValue;
        var fits = unit switch
        {
            FhirDatePrecision.Year => Utc.Year < last.Year,
            FhirDatePrecision.Month => Utc.Year < last.Year || Utc.Month < last.Month,
            _ => Utc.Ticks <= last.Ticks - TimeSpan.TicksPerDay,
        };
        if (!fits)
            return last;
        var next = unit switch
        {
            FhirDatePrecision.Year => Utc.AddYears(1),
            FhirDatePrecision.Month => Utc.AddMonths(1),
            _ => Utc.AddDays(1),
        };
        return next.AddTicks(-10);
    }
}

/// <summary>A Period; either end may be missing.</summary>
public sealed record FhirPeriod(FhirDateTime? Start, FhirDateTime? End);

/// <summary>A Quantity (also Age, Duration, SimpleQuantity). Value is double: FHIR decimals beyond double range are issues.</summary>
public sealed record FhirQuantity(double? Value, string? Unit, string? System, string? Code, string? Comparator = null);

/// <summary>An Identifier: system and value.</summary>
public sealed record FhirIdentifier(string? System, string? Value);

/// <summary>The kinds of value[x] an Observation (or component) may carry that we keep.</summary>
public enum FhirValueKind
{
    Quantity,
    CodeableConcept,
    String,
    Boolean,
    Integer,
    DateTime,
    Period,
    Range,
    Ratio,
    Time,
    /// <summary>SampledData and other kinds: counted, not mapped.</summary>
    Other,
}

/// <summary>
/// One value[x]. Exactly the member matching <see cref="Kind"/> is set: Quantity (also Integer as a unitless quantity is
/// NOT used: Integer sets <see cref="Number"/>), CodeableConcept, Text (String/Time), Boolean, Number (Integer),
/// DateTime, Period, Range (Low/High quantities), Ratio (Numerator/Denominator).
/// </summary>
public sealed record FhirValue(FhirValueKind Kind)
{
    public FhirQuantity? Quantity { get; init; }
    public FhirCodeableConcept? CodeableConcept { get; init; }
    public string? Text { get; init; }
    public bool? Boolean { get; init; }
    public double? Number { get; init; }
    public FhirDateTime? DateTime { get; init; }
    public FhirPeriod? Period { get; init; }
    public FhirQuantity? Low { get; init; }
    public FhirQuantity? High { get; init; }
    public FhirQuantity? Numerator { get; init; }
    public FhirQuantity? Denominator { get; init; }
}

/// <summary>An extension we read (US Core race/ethnicity): URL plus nested extensions/value codings flattened.</summary>
public sealed record FhirExtension(string Url, IReadOnlyList<FhirCoding> ValueCodings, string? ValueText);
