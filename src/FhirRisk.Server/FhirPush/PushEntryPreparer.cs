using System.Globalization;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Fhir.Push;
using FhirRisk.Meds.FhirMapping;
using FhirRisk.Server.Timeline;

namespace FhirRisk.Server.FhirPush;

/// <summary>
/// Turns pushed entries into <see cref="TimelineResource"/>s (docs/fhir-push.md "Identity" and "Patient"): validates the
/// request and the resource with our reader, chooses the logical id (PUT url, else the resource's id, else the uuid of a
/// <c>urn:uuid:</c> fullUrl, else one derived from the content hash, so a re-push of an id-less resource is still a
/// no-op) and finds the Patient it belongs to, resolving <c>urn:uuid:</c> references against the other entries. Also
/// used for resources a prediction request supplies, so that they replace stored ones by the same key.
/// </summary>
internal static partial class PushEntryPreparer
{
    public static IReadOnlyList<PreparedEntry> Prepare(FhirPushDocument document, bool requireRequest, FhirReaderSettings settings)
    {
        ArgumentNullException.ThrowIfNull(document);
        var byFullUrl = new Dictionary<string, (string Type, string Id)>(StringComparer.Ordinal);
        var bases = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in document.Entries)
        {
            if (entry is { Problem: null, FullUrl: { } url, ResourceType: { } type } && IdOf(entry) is { } id)
                byFullUrl.TryAdd(url, (type, id));
            if (FhirReferences.BaseOf(entry.FullUrl) is { } serverBase)
                bases.Add(serverBase);
        }
        var links = new PushLinks(byFullUrl, bases);
        return [.. document.Entries.Select(e => PrepareOne(e, requireRequest, links, settings))];
    }

    /// <summary><c>Bundle.entry[i].request.method</c> of an entry located at <c>Bundle.entry[i].resource</c>.</summary>
    private static string RequestMethodLocation(FhirPushEntry entry) => EntryLocation(entry, ".request.method");

    /// <summary><c>Bundle.entry[i].fullUrl</c> of an entry located at <c>Bundle.entry[i].resource</c>.</summary>
    private static string FullUrlLocation(FhirPushEntry entry) => EntryLocation(entry, ".fullUrl");

    /// <summary>A member of the entry itself (<paramref name="member"/>, dotted), not of its resource.</summary>
    private static string EntryLocation(FhirPushEntry entry, string member) =>
        (entry.Location.EndsWith(".resource", StringComparison.Ordinal) ? entry.Location[..^".resource".Length] : entry.Location) + member;

    private static PreparedEntry PrepareOne(FhirPushEntry entry, bool requireRequest, PushLinks links,
        FhirReaderSettings settings)
    {
        var issues = new List<Issue>();
        var method = entry.Method?.Trim().ToUpperInvariant();
        // A GET or DELETE entry carries no resource: what it asks is not served, which says more than "no resource"
        // (walkthrough review s21 L5: the HL7 example transaction's DELETE entries read FHIR016).
        if (method is not (null or "POST" or "PUT"))
            return PreparedEntry.Rejected(entry, [Issue.Error(FhirPushIssueCodes.MethodNotSupported, RequestMethodLocation(entry),
                $"request.method {LogText.Of(method, 16)} is not served; push with POST or PUT (erase a patient with DELETE /fhir/Patient/{{id}})")]);
        if (entry.Problem is { } problem)
            return PreparedEntry.Rejected(entry, [problem]);
        if (ContentHashOf(entry.Json) is not { } hash)
            return PreparedEntry.Rejected(entry, [Issue.Error(FhirIssueCodes.InvalidJson, entry.Location, "the resource is not valid UTF-8 JSON text (RFC 8259 §8)")]);
        var type = entry.ResourceType!;
        // What the store's text columns cannot keep, or keep only on one database: PostgreSQL refuses U+0000, which turned
        // one bad entry into a store outage (503, retried forever) and sank its transaction (review s24-store #4).
        if (!FhirReferences.IsResourceType(type))
            return PreparedEntry.Rejected(entry, [Issue.Error(FhirPushIssueCodes.InvalidEntryText, entry.Location + ".resourceType", "not a FHIR resource type name ([A-Z][A-Za-z]{0,63})")]);
        if (entry.FullUrl is { } fullUrl && fullUrl.Any(char.IsControl))
            return PreparedEntry.Rejected(entry, [Issue.Error(FhirPushIssueCodes.InvalidEntryText, FullUrlLocation(entry), "fullUrl holds a control character")]);
        if (requireRequest && method is null)
            return PreparedEntry.Rejected(entry, [Issue.Error(FhirPushIssueCodes.MissingRequest, entry.Location, "a transaction or batch entry needs request.method (bdl-3)")]);
        string? urlId = null;
        if (method == "PUT")
        {
            var url = (entry.Url ?? "").Split('?')[0].Trim('/').Split('/');
            if (url.Length != 2 || url[0] != type || (entry.Id is { } own && own != url[1]))
                return PreparedEntry.Rejected(entry, [Issue.Error(FhirPushIssueCodes.UrlMismatch, entry.Location, "a PUT's request.url must be Type/id of its resource")]);
            urlId = url[1];
        }
        var envelope = new FhirResourceEnvelope(type, "push", entry.Location, entry.FullUrl, "push", entry.Json);
        var read = ParsedResource.Parse(envelope, settings);
        var parsed = read.Result;
        issues.AddRange(parsed.Issues.Select(Relocate));
        if (parsed.Outcome == FhirParseOutcome.Failed)
            return PreparedEntry.Rejected(entry, issues);
        var id = urlId ?? IdOf(entry) ?? "h" + hash[..40];
        if (!IsFhirId(id))
            return PreparedEntry.Rejected(entry, [Issue.Error(FhirPushIssueCodes.InvalidId, entry.Location + ".id", "not a FHIR id ([A-Za-z0-9-.]{1,64})")]);
        var (patientId, patientUrn) = parsed.Resource switch
        {
            Fhir.Model.FhirPatient => (id, null),
            { } resource => PatientOf(FhirResourceLinks.PatientReference(resource), links),
            null => (null, null),
        };
        // Stored, but read by no prediction and perhaps out of an erasure's reach: the sender must learn it now, not
        // from a risk that left it out (ops review s11 #7).
        if (patientId is null && parsed.Resource is { } unlinked && FhirResourceLinks.PatientElement(unlinked) is { } element)
            issues.Add(Issue.Warning(FhirPushIssueCodes.NoPatient, $"{entry.Location}.{element}",
                $"no patient could be determined from {element} (a conditional, Group or identifier-only reference, a Patient on another server than this bundle's, or none): the resource is stored but will not be used for predictions"));
        var stored = new TimelineResource(type, id, patientId, entry.FullUrl, hash, entry.Json)
        {
            SourceVersion = SourceVersionOf(entry.Meta), PatientUrn = patientUrn,
        };
        return new PreparedEntry(entry, stored, issues) { Parsed = read };

        // The reader's paths name the pseudo-file "push"; the client knows the entry by its location only.
        Issue Relocate(Issue issue) => issue with { Path = issue.Path.StartsWith("push:", StringComparison.Ordinal) ? issue.Path[5..] : issue.Path };
    }

    /// <summary>
    /// The content hash, or null when the resource is not text the hash can decode: bytes that are not UTF-8 or an
    /// escaped lone surrogate (RFC 8259 §8.1, §8.2). The envelope reader decodes only the strings it needs, so such a
    /// resource gets this far; it is one rejected entry, not a failed request (review phi.md #7).
    /// </summary>
    private static string? ContentHashOf(ReadOnlyMemory<byte> json)
    {
        if (!Utf8.IsValid(json.Span))
            return null;
        try
        {
            return ResourceContentHash.Of(json.Span);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The sender's version for ordering deliveries (docs/timeline-store.md "Out-of-order deliveries"): <c>versionId</c>
    /// when it is a whole number, <c>lastUpdated</c> when it is an instant with a zone (R4 §2.24 instant); what is not
    /// stays null and orders nothing.
    /// </summary>
    internal static TimelineSourceVersion? SourceVersionOf(FhirPushMeta? meta)
    {
        if (meta is null)
            return null;
        long? version = long.TryParse(meta.VersionId?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        // An instant carries a time and Z or an offset; one without is not placed in time, so it orders nothing.
        long? updated = meta.LastUpdated?.Trim() is { } text && text.Contains('T', StringComparison.Ordinal) && InstantZone().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? (at - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond
            : null;
        return version is null && updated is null ? null : new TimelineSourceVersion(version, updated);
    }

    /// <summary>The resource's own id, else the uuid of its <c>urn:uuid:</c> fullUrl.</summary>
    private static string? IdOf(FhirPushEntry entry)
    {
        if (!string.IsNullOrWhiteSpace(entry.Id))
            return entry.Id.Trim();
        return entry.FullUrl is { } url && url.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase) ? url["urn:uuid:".Length..] : null;
    }

    /// <summary>
    /// The Patient id a reference names: an entry of this push by fullUrl, else <c>Patient/id</c> (relative or
    /// absolute), else the uuid of an unresolved <c>urn:uuid:</c>, returned with the reference (<c>Urn</c>) so that the
    /// store can write it to a Patient it holds under that fullUrl (<see cref="TimelineResource.PatientUrn"/>). An
    /// absolute reference to a server that none of the push's fullUrls names is another server's patient, whose id says
    /// nothing of ours: none (docs/fhir-push.md "Patient").
    /// </summary>
    private static (string? Id, string? Urn) PatientOf(string? reference, PushLinks links)
    {
        if (reference is null)
            return (null, null);
        if (links.ByFullUrl.TryGetValue(reference.Trim(), out var entry))
            return (entry.Type == "Patient" && IsFhirId(entry.Id) ? entry.Id : null, null); // a rejected Patient's id too (review s24-changes M3)
        if (FhirReferences.BaseOf(reference) is { } serverBase && links.Bases.Count > 0 && !links.Bases.Contains(serverBase))
            return (null, null);
        var (patient, urn) = FhirResourceLinks.Target(reference) switch
        {
            // A UUID's urn names a Patient of another push by its fullUrl; anything else after urn: is an id as before.
            { IsUrn: true, Id: var uuid } => (uuid, FhirReferences.UuidOfUrn(reference.Trim()) is not null ? reference.Trim() : null),
            { Type: "Patient", Id: var id } => (id, null),
            _ => (null, null),
        };
        // Only an id a Patient can have: another could never be erased (DELETE /fhir/Patient/{id} takes FHIR ids) and may
        // hold what the store cannot keep (review s24-store #4). Such a resource names no patient (PUSH103).
        return IsFhirId(patient) ? (patient, urn) : (null, null);
    }

    /// <summary>A FHIR id (R4 §2.24): <c>[A-Za-z0-9\-\.]{1,64}</c> (<see cref="FhirReferences.IsId"/>, which, unlike a
    /// regex's <c>$</c>, admits no final newline: review s24-changes L4).</summary>
    public static bool IsFhirId(string? id) => FhirReferences.IsId(id);

    [GeneratedRegex(@"(Z|[+-]\d\d:\d\d)$")]
    private static partial Regex InstantZone();
}

/// <summary>What the entries of one push tell of each other: the entry each fullUrl names, and the service bases of the
/// absolute fullUrls (<see cref="FhirReferences.BaseOf"/>).</summary>
internal sealed record PushLinks(Dictionary<string, (string Type, string Id)> ByFullUrl, HashSet<string> Bases);

/// <summary>One entry, ready to store (<see cref="Resource"/> set) or rejected (errors in <see cref="Issues"/>).</summary>
internal sealed record PreparedEntry(FhirPushEntry Entry, TimelineResource? Resource, IReadOnlyList<Issue> Issues)
{
    /// <summary>The kept resource as the reader parsed it (issues named by the entry's location), so a prediction maps it
    /// without parsing it again (<see cref="ParsedResource.As"/>); null when rejected.</summary>
    public ParsedResource? Parsed { get; init; }

    public bool IsRejected => Resource is null;

    public static PreparedEntry Rejected(FhirPushEntry entry, IReadOnlyList<Issue> issues) => new(entry, null, issues);
}
