using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// An onset or performance given as the patient's age (R4 onsetAge, performedAge: an Age quantity) placed on the
/// timeline from the Patient's birthDate: birth + age, as precise as the unit (a year given in years names that year of
/// life, so the value's precision is a year; in months a month; else a day). Null when the Patient, their birthDate or a
/// usable age is missing: a value that is not finite or is negative, a unit that is not a time (UCUM a, mo, wk, d, h,
/// min, or their spelled-out forms), an age past 150 years, or a date past the calendar's end.
/// </summary>
internal static class AgeTimes
{
    private const double DaysPerYear = 365.2425;
    private const double MaxYears = 150;

    public static FhirDateTime? At(FhirQuantity? age, FhirPatient? patient)
    {
        if (age?.Value is not { } value || !double.IsFinite(value) || value < 0 || patient?.BirthDate is not { } born)
            return null;
        // Counted from the birthday as written: a birthDate read in a site time zone starts at an instant that may lie on
        // the day before (east of UTC), and the age's date is that zone's day too.
        var birth = born.FirstDay.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var (days, precision) = (Unit(age) ?? "") switch
        {
            "a" => (value * DaysPerYear, FhirDatePrecision.Year),
            "mo" => (value * DaysPerYear / 12, FhirDatePrecision.Month),
            "wk" => (value * 7, FhirDatePrecision.Day),
            "d" => (value, FhirDatePrecision.Day),
            "h" => (value / 24, FhirDatePrecision.Day),
            "min" => (value / 1440, FhirDatePrecision.Day),
            _ => (double.NaN, FhirDatePrecision.Day),
        };
        if (double.IsNaN(days) || days > MaxYears * DaysPerYear || (DateTime.MaxValue - birth).TotalDays <= days + 1)
            return null;
        // Whole years and months count calendar years and months from the birthday, as people state an age; the result
        // is a date (an age names no time of day).
        var time = precision switch
        {
            FhirDatePrecision.Year when value == Math.Floor(value) => birth.AddYears((int)value),
            FhirDatePrecision.Month when value == Math.Floor(value) => birth.AddMonths((int)value),
            _ => birth.AddDays(days),
        };
        var date = new FhirDateTime(time.Date, precision);
        return born.Zone is { } zone ? FhirDates.InZone(date, withoutZone: false, zone) : date;
    }

    /// <summary>The time unit an Age names: its code, else its unit text, read as UCUM codes or their spelled-out forms
    /// whatever the quantity's system.</summary>
    private static string? Unit(FhirQuantity age)
    {
        foreach (var text in new[] { age.Code, age.Unit })
        {
            switch (text?.Trim().ToLowerInvariant())
            {
                case "a" or "yr" or "y" or "year" or "years":
                    return "a";
                case "mo" or "month" or "months":
                    return "mo";
                case "wk" or "week" or "weeks":
                    return "wk";
                case "d" or "day" or "days":
                    return "d";
                case "h" or "hour" or "hours":
                    return "h";
                case "min" or "minute" or "minutes":
                    return "min";
            }
        }
        return null;
    }
}
