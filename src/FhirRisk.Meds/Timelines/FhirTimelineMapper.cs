using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;
using FhirRisk.Meds.Ingestion;

namespace FhirRisk.Meds.Timelines;

/// <summary>
/// The in-memory twin of <see cref="FhirIngestion"/> for one patient's resources (the service's timeline store and the
/// resources a request supplies): the same two passes — index Patient/Encounter/Location/Medication, then parse and map
/// every resource with <see cref="FhirMedsMapper"/> — over envelopes that share one reference scope, then the same
/// death rule (<see cref="SubjectDeaths"/>) and MEDS order (static rows first, then by time, ties in input order). Only
/// the events of the wanted subjects are kept. Problems are issues, never exceptions.
/// </summary>
public static class FhirTimelineMapper
{
    public static FhirTimeline Map(IReadOnlyList<FhirResourceEnvelope> envelopes, FhirMappingSettings mapping, FhirReaderSettings reader,
        long? subjectId = null)
    {
        ArgumentNullException.ThrowIfNull(envelopes);
        ArgumentNullException.ThrowIfNull(reader);
        return Map([.. envelopes.Select(e => ParsedResource.Parse(e, reader))], mapping, subjectId);
    }

    /// <summary>As <see cref="Map(IReadOnlyList{FhirResourceEnvelope}, FhirMappingSettings, FhirReaderSettings, long?)"/>,
    /// over resources parsed already (the service parses what a request supplies to check it; parsing it again would
    /// be the same work twice). Their parse issues are reported as they stand.</summary>
    public static FhirTimeline Map(IReadOnlyList<ParsedResource> resources, FhirMappingSettings mapping, long? subjectId = null) =>
        Map(resources, mapping, _ => subjectId);

    /// <summary>As <see cref="Map(IReadOnlyList{ParsedResource}, FhirMappingSettings, long?)"/>, keeping the events of the
    /// subject <paramref name="patientId"/>'s record maps to: its own, or, for a chart merged into another
    /// (<c>Patient.link</c>), the surviving chart's, as the mapping itself resolves the merge.</summary>
    public static FhirTimeline Map(IReadOnlyList<ParsedResource> resources, FhirMappingSettings mapping, string patientId)
    {
        ArgumentException.ThrowIfNullOrEmpty(patientId);
        return Map(resources, mapping, index => index.SubjectIdOf(index.Survivor(patientId)));
    }

    private static FhirTimeline Map(IReadOnlyList<ParsedResource> resources, FhirMappingSettings mapping, Func<FhirIndex, long?> subjectOf)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(mapping);
        var issues = new List<Issue>();
        var parsed = new List<(FhirResource Resource, FhirResourceEnvelope Envelope)>(resources.Count);
        var index = new FhirIndex(mapping);
        foreach (var (envelope, result) in resources)
        {
            issues.AddRange(result.Issues);
            if (result is { Outcome: FhirParseOutcome.Parsed, Resource: { } resource })
            {
                parsed.Add((resource, envelope));
                index.Add(resource, envelope);
            }
        }
        var mapper = new FhirMedsMapper(index, mapping);
        var events = new List<MedsEvent>();
        foreach (var (resource, envelope) in parsed)
            mapper.Map(resource, envelope, events, issues);
        issues.AddRange(index.Collisions);
        if (subjectOf(index) is { } wanted)
            events.RemoveAll(e => e.SubjectId != wanted);
        var subjects = events.Select(e => e.SubjectId).Distinct().Order().ToArray();
        var ordered = new List<MedsEvent>(events.Count);
        foreach (var subject in subjects)
        {
            var own = events.Where(e => e.SubjectId == subject).ToList();
            SubjectDeaths.KeepEarliest(own);
            // OrderBy is stable: equal times keep their input order, as the dataset writer's sort does.
            ordered.AddRange(own.OrderBy(e => e.Time is null ? 0 : 1).ThenBy(e => e.Time ?? DateTime.MinValue));
        }
        return new FhirTimeline(ordered, subjects, issues) { CodeDescriptions = mapper.Descriptions.ToDictionary() };
    }
}

/// <summary>MEDS events in MEDS order, grouped by subject (ascending id), the subjects found and every issue.</summary>
public sealed record FhirTimeline(IReadOnlyList<MedsEvent> Events, IReadOnlyList<long> Subjects, IReadOnlyList<Issue> Issues)
{
    /// <summary>Readable names of the codes, from the displays of the codings they were mapped from
    /// (<see cref="CodeDescriptions"/>; look one up with <see cref="CodeDescriptions.Lookup"/>).</summary>
    public IReadOnlyDictionary<string, string> CodeDescriptions { get; init; } = new Dictionary<string, string>();
}
