using System.Diagnostics.CodeAnalysis;

namespace FhirRisk.Fhir;

/// <summary>
/// Looks up the site time zone an operator names (<see cref="FhirReaderSettings.TimeZone"/>: <c>fhirrisk ingest
/// --time-zone</c>, the service's <c>Model:TimeZone</c>) in the system's time-zone database, by IANA id.
/// </summary>
public static class SiteTimeZone
{
    /// <summary>Finds the zone named <paramref name="id"/> (an IANA id such as <c>America/New_York</c>, or <c>UTC</c>).</summary>
    public static bool TryFind(string? id, [NotNullWhen(true)] out TimeZoneInfo? zone)
    {
        zone = null;
        if (string.IsNullOrWhiteSpace(id))
            return false;
        return TimeZoneInfo.TryFindSystemTimeZoneById(id.Trim(), out zone);
    }

    /// <summary>The error for a name <see cref="TryFind"/> did not find, with the fix.</summary>
    public static string Unknown(string setting, string? id) =>
        $"{setting}: '{id}' is not a time zone this system knows. Hint: give an IANA id such as America/New_York or Europe/Berlin (the system's zone database is used: install the tzdata package if none is found).";
}
