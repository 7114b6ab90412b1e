using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.Omop;

/// <summary>One resource being exported: where it came from, how to resolve its references, where its issues go.</summary>
internal sealed class OmopSource
{
    public OmopSource(FhirResource resource, FhirResourceEnvelope envelope, IOmopIdResolver ids, ICollection<Issue> issues, OmopExportState state)
    {
        Resource = resource;
        Envelope = envelope;
        Ids = ids;
        Issues = issues;
        State = state;
    }

    public FhirResource Resource { get; }

    public FhirResourceEnvelope Envelope { get; }

    public IOmopIdResolver Ids { get; }

    public ICollection<Issue> Issues { get; }

    public OmopExportState State { get; }

    public void Warn(string code, string element, string message) => Issues.Add(Issue.Warning(code, Envelope.IssuePath(element), message));

    public void Inform(string code, string element, string message) =>
        Issues.Add(new Issue(code, IssueSeverity.Information, Envelope.IssuePath(element), message));

    /// <summary>The person a subject reference names; a warning (and null) when it does not resolve.</summary>
    /// <summary>The Encounter a reference of this resource names, or null.</summary>
    public FhirEncounter? Encounter(FhirReference? encounter) => encounter is null ? null : Ids.Encounter(encounter, Envelope);

    public long? PersonId(FhirReference? subject, string element)
    {
        var id = Ids.PersonId(subject, Envelope);
        if (id is null)
            Warn(OmopIssueCodes.NoPerson, element, $"{Resource.ResourceType} subject does not name a Patient of the input with a birth date (a person row); no OMOP row.");
        return id;
    }

    /// <summary>
    /// A reference to this resource itself, for the resolver: its <c>urn:uuid</c> fullUrl inside a bundle (what the
    /// other entries use), else <c>Type/id</c>, else (no id) its absolute fullUrl; null when it has none of them.
    /// </summary>
    public FhirReference? SelfReference()
    {
        // Without an id, the index knows the resource by any fullUrl (an absolute one included), so asks by it too.
        if (Envelope.FullUrl is { } fullUrl && (fullUrl.StartsWith("urn:", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(Resource.Id)))
            return new FhirReference(fullUrl);
        return string.IsNullOrEmpty(Resource.Id) ? null : new FhirReference($"{Resource.ResourceType}/{Resource.Id}");
    }

    /// <summary>Fills visit_occurrence_id and visit_detail_id from an encounter reference (both null when it does not resolve).</summary>
    public void SetVisit(OmopRow row, FhirReference? encounter)
    {
        if (encounter is null || Ids.VisitOf(encounter, Envelope, (long)row["person_id"]!) is not { } visit)
            return;
        row["visit_occurrence_id"] = visit.Occurrence;
        row["visit_detail_id"] = visit.Detail;
    }

    /// <summary>
    /// True (with an information issue) when the status is one the documented rules drop: entered-in-error everywhere;
    /// cancelled / not-done / refuted where the resource says it did not happen (docs/formats/omop.md "Status rules").
    /// </summary>
    public bool DroppedByStatus(string? status, string element, params IReadOnlyList<string> alsoDropped)
    {
        if (status is null || (!string.Equals(status.Trim(), "entered-in-error", StringComparison.OrdinalIgnoreCase) && !FhirMapping.StatusRules.Drops(alsoDropped, status)))
            return false;
        Inform(OmopIssueCodes.StatusDropped, element, $"{Resource.ResourceType} with status '{status}' is not exported.");
        return true;
    }
}

/// <summary>
/// FHIR times → OMOP date and datetime cells, naive wall-clock values of the site's time zone
/// (<see cref="OmopExporterSettings.TimeZone"/>; UTC by default, DESIGN §3; docs/decisions/0004): a value with a time is
/// its instant on that zone's clock and day, and a partial date keeps the calendar day it was written with, also when
/// it was read in a site time zone (its UTC instants then fall on neighbouring days).
/// </summary>
internal static class OmopTime
{
    /// <summary>The wall clock of an instant (a value with a time) in <paramref name="zone"/>.</summary>
    private static DateTime Wall(FhirDateTime time, TimeZoneInfo zone) =>
        DateTime.SpecifyKind(FhirDates.IsUtc(zone) ? time.Utc : TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(time.Utc, DateTimeKind.Utc), zone), DateTimeKind.Unspecified);

    public static DateOnly StartDate(FhirDateTime time, TimeZoneInfo zone) => time.HasTime ? DateOnly.FromDateTime(Wall(time, zone)) : time.FirstDay;

    /// <summary>The datetime column: the instant when a time was given, else midnight of the date (OMOP convention).</summary>
    public static DateTime StartDateTime(FhirDateTime time, TimeZoneInfo zone) =>
        time.HasTime ? Wall(time, zone) : time.FirstDay.ToDateTime(TimeOnly.MinValue);

    /// <summary>End dates take the last day a partial date denotes (2023-02 ends 2023-02-28).</summary>
    public static DateOnly EndDate(FhirDateTime time, TimeZoneInfo zone) => time.HasTime ? StartDate(time, zone) : time.LastDay;

    public static DateTime EndDateTime(FhirDateTime time, TimeZoneInfo zone) =>
        time.HasTime ? Wall(time, zone) : time.LastDay.ToDateTime(TimeOnly.MinValue);

    public static string? TimeOfDay(FhirDateTime time, TimeZoneInfo zone) =>
        time.HasTime ? Wall(time, zone).ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) : null;

    /// <summary>Sets <c>&lt;prefix&gt;_date</c> and <c>&lt;prefix&gt;_datetime</c> and widens the observation period.</summary>
    public static void SetStart(OmopRow row, string prefix, FhirDateTime time, OmopExportState state, long personId)
    {
        row[prefix + "_date"] = StartDate(time, state.Zone);
        row[prefix + "_datetime"] = StartDateTime(time, state.Zone);
        state.Observe(personId, StartDate(time, state.Zone));
    }

    /// <summary>Sets <c>&lt;prefix&gt;_date</c> and <c>&lt;prefix&gt;_datetime</c> of the end of a row that starts at
    /// <paramref name="start"/>, and widens the observation period. An end given by date only on the day of a timed start
    /// ends at that start, not at the day's midnight before it (review s22 OMOP M1: 15:00 to 00:00 of the same day failed
    /// the CDM's start-before-end checks, for every one-day dispense).</summary>
    public static void SetEnd(OmopRow row, string prefix, FhirDateTime time, FhirDateTime start, OmopExportState state, long personId)
    {
        row[prefix + "_date"] = EndDate(time, state.Zone);
        var end = EndDateTime(time, state.Zone);
        row[prefix + "_datetime"] = end < StartDateTime(start, state.Zone) ? StartDateTime(start, state.Zone) : end;
        state.Observe(personId, EndDate(time, state.Zone));
    }
}
