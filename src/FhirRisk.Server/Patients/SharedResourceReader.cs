using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;
using FhirRisk.Server.Timeline;

namespace FhirRisk.Server.Patients;

/// <summary>
/// Reads the shared resources a patient's resources reference — the Medication of a <c>medicationReference</c> (and,
/// one level down as the mapping resolves them, the Medications a mix names as ingredients) and the Locations of an
/// Encounter — which the store keeps without a patient (docs/timeline-store.md "Shared resources"). Without them a
/// stored record maps differently from the same record supplied whole: its drug orders lose their drug (ops review
/// s11 #6). A reference is looked up the way <see cref="FhirIndex"/> resolves it: <c>Type/id</c> by id, a
/// <c>urn:uuid:</c> by the fullUrl it was pushed under, an absolute URL by either.
/// </summary>
internal static class SharedResourceReader
{
    /// <summary>The stored shared resources <paramref name="present"/> references and does not hold, parsed by
    /// <paramref name="parse"/>.</summary>
    public static async Task<IReadOnlyList<(TimelineResource Resource, ParsedResource Parsed)>> ReadAsync(ITimelineStore store,
        IReadOnlyCollection<(TimelineResource Resource, ParsedResource Parsed)> present, Func<TimelineResource, ParsedResource> parse,
        CancellationToken cancellationToken)
    {
        var known = new KnownResources();
        foreach (var (resource, _) in present)
            known.Add(resource);
        var parsed = present.Select(p => p.Parsed).ToArray();
        var medications = await ReadMissingAsync(store, "Medication", parsed.SelectMany(MedicationReferences), known, parse, cancellationToken).ConfigureAwait(false);
        // Ingredients of the Medications just read: the mapping follows one level of itemReference, so does this.
        var ingredients = await ReadMissingAsync(store, "Medication", medications.SelectMany(m => IngredientReferences(m.Parsed)), known, parse,
            cancellationToken).ConfigureAwait(false);
        var locations = await ReadMissingAsync(store, "Location", parsed.SelectMany(LocationReferences), known, parse, cancellationToken).ConfigureAwait(false);
        return [.. medications, .. ingredients, .. locations];
    }

    private static async Task<List<(TimelineResource Resource, ParsedResource Parsed)>> ReadMissingAsync(ITimelineStore store, string type, IEnumerable<string?> references,
        KnownResources known, Func<TimelineResource, ParsedResource> parse, CancellationToken cancellationToken)
    {
        var (ids, fullUrls) = (new HashSet<string>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal));
        foreach (var reference in references)
        {
            if (FhirResourceLinks.Target(reference) is not { } target || (target.Type is { } named && named != type))
                continue;
            var raw = reference!.Trim();
            if (known.Holds(type, target.Id, raw))
                continue;
            if (!target.IsUrn)
                ids.Add(target.Id);
            if (target.IsUrn || raw.Contains("://", StringComparison.Ordinal))
                fullUrls.Add(raw);
        }
        if (ids.Count == 0 && fullUrls.Count == 0)
            return [];
        var read = new List<(TimelineResource, ParsedResource)>();
        foreach (var resource in await store.ReadReferencedAsync(type, ids, fullUrls, cancellationToken).ConfigureAwait(false))
        {
            if (known.Add(resource))
                read.Add((resource, parse(resource)));
        }
        return read;
    }

    private static IEnumerable<string?> MedicationReferences(ParsedResource parsed) => parsed.Result.Resource switch
    {
        FhirMedicationEvent medication => [medication.Medication?.Reference?.Reference],
        FhirMedication medication => medication.IngredientReferences.Select(r => r.Reference),
        _ => [],
    };

    private static IEnumerable<string?> IngredientReferences(ParsedResource parsed) =>
        parsed.Result.Resource is FhirMedication medication ? medication.IngredientReferences.Select(r => r.Reference) : [];

    private static IEnumerable<string?> LocationReferences(ParsedResource parsed) =>
        parsed.Result.Resource is FhirEncounter encounter ? encounter.Locations.Select(l => l.Location.Reference) : [];

    /// <summary>The keys and fullUrls of the resources at hand, so nothing is read twice.</summary>
    private sealed class KnownResources
    {
        private readonly HashSet<(string Type, string Id)> _keys = [];
        private readonly HashSet<string> _fullUrls = new(StringComparer.Ordinal);

        public bool Holds(string type, string id, string raw) => _keys.Contains((type, id)) || _fullUrls.Contains(raw);

        /// <summary>False when the resource was already at hand.</summary>
        public bool Add(TimelineResource resource)
        {
            if (!_keys.Add((resource.ResourceType, resource.Id)))
                return false;
            if (resource.FullUrl is { Length: > 0 } url)
                _fullUrls.Add(url);
            return true;
        }
    }
}
