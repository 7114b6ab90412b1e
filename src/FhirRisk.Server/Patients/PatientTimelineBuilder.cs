using System.Runtime.CompilerServices;
using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Meds;
using FhirRisk.Meds.FhirMapping;
using FhirRisk.Meds.Timelines;
using FhirRisk.Server.FhirPush;
using FhirRisk.Server.Timeline;

namespace FhirRisk.Server.Patients;

/// <summary>
/// A patient's MEDS events for a prediction: the stored resources of the patient, with the resources the request
/// supplies put in by (type, id) — a supplied one replaces the stored version for this call only, unless the stored one is
/// newer by its sender's <c>lastUpdated</c> (<see cref="IsNewerByTime"/>) — and the stored shared
/// resources (Medication, Location) they reference (<see cref="SharedResourceReader"/>), mapped together in one
/// reference scope (so <c>urn:uuid:</c> references resolve across pushes) by <see cref="FhirTimelineMapper"/>.
/// What it leaves out — supplied resources the reader refused or that belong to another patient, a store that could
/// not be read — is counted in <see cref="DataGaps"/>, so that a risk from a partial record can say so.
/// </summary>
internal sealed class PatientTimelineBuilder(TimelineStoreState store, RiskModel model, FhirReading reading, TimeProvider time)
{
    private const string Scope = "timeline";
    private static readonly FhirMappingSettings Mapping = new();

    /// <summary>Each live request's events (<see cref="BuildAsync(PatientRiskRequest, CancellationToken)"/>), keyed by
    /// the instance and dropped with it.</summary>
    private readonly ConditionalWeakTable<PatientRiskRequest, PatientEventsResult> _built = new();

    /// <summary>The MEDS encounter id of a FHIR Encounter id, as the events this builder maps carry it.</summary>
    public static long EncounterIdOf(string encounterId) => FhirResourceLinks.EncounterIdOf(encounterId.Trim(), Mapping);

    /// <summary>
    /// The events <paramref name="request"/> is answered from: its patient's (<see cref="BuildAsync(string?,
    /// IReadOnlyList{ReadOnlyMemory{byte}}, bool, CancellationToken)"/>, from the request's own reading of what it supplies
    /// where it has one, <see cref="PatientRiskRequest.ReadResources"/>), with the encounter it discharges closed at its
    /// prediction time (<see cref="DischargeNow"/>). Built once per request instance: its prediction and its card
    /// contributors (one hook call) read the very same events — one read of the store, one parse and mapping of what it
    /// supplied — instead of building them twice. The events live as long as the request does; a new request (or a
    /// <c>with</c> copy) builds afresh, and a build that fails is not kept.
    /// </summary>
    public async Task<PatientEventsResult> BuildAsync(PatientRiskRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_built.TryGetValue(request, out var built))
            return built;
        var patient = await BuildEventsAsync(request.PatientId, SuppliedOf(request), request.UseStoredHistory, cancellationToken).ConfigureAwait(false);
        if (request.DischargingEncounterId is { } discharging)
        {
            var code = model.IsLoaded ? DischargeNow.HospitalDischargeCode(model.Session.Tokenizer.Vocabulary) : DischargeNow.UnknownDisposition;
            var ends = DischargeNow.Ends(patient.Events, EncounterIdOf(discharging), request.PredictionTime?.UtcDateTime, code);
            patient = patient with { Events = DischargeNow.Insert(patient.Events, ends), WrittenEnds = ends };
        }
        _built.AddOrUpdate(request, patient);
        return patient;
    }

    /// <summary>The events of <paramref name="patientId"/>'s stored history (when asked for) and of the FHIR JSON documents
    /// <paramref name="supplied"/>, each read here.</summary>
    public Task<PatientEventsResult> BuildAsync(string? patientId, IReadOnlyList<ReadOnlyMemory<byte>> supplied, bool useStoredHistory,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(supplied);
        return BuildEventsAsync(patientId, [.. supplied.Select(json => reading.Read(json))], useStoredHistory, cancellationToken);
    }

    /// <summary>The documents <paramref name="request"/> supplies, as read: its surface's reading, else read here.</summary>
    /// <exception cref="ArgumentException">The surface's reading is not of <see cref="PatientRiskRequest.FhirResources"/>.</exception>
    private IReadOnlyList<SuppliedFhirDocument> SuppliedOf(PatientRiskRequest request)
    {
        ArgumentNullException.ThrowIfNull(request.FhirResources);
        if (request.ReadResources is not { } read)
            return [.. request.FhirResources.Select(json => reading.Read(json))];
        // The same memory, not equal bytes: a reading of other bytes would answer for data the request does not hold.
        if (read.Count != request.FhirResources.Count || read.Where((document, i) => !document.Json.Equals(request.FhirResources[i])).Any())
            throw new ArgumentException("ReadResources must be the reading of FhirResources, one per document, in order.", nameof(request));
        // Dates read in another zone would put the record's days elsewhere than the stored history's.
        if (read.Any(document => !document.TimeZone.Equals(reading.TimeZone)))
            throw new ArgumentException($"ReadResources must be read in the site time zone ({reading.TimeZone.Id}).", nameof(request));
        return read;
    }

    private async Task<PatientEventsResult> BuildEventsAsync(string? patientId, IReadOnlyList<SuppliedFhirDocument> supplied, bool useStoredHistory,
        CancellationToken cancellationToken)
    {
        var warnings = new List<Issue>();
        var (suppliedResources, rejected, readInPart, parsedSupplied) = ReadSupplied(supplied, warnings);
        // The merge links of the supplied Patients, read once: they name the patient of a Bundle holding a merged chart and
        // its survivor, and join its charts.
        IReadOnlyList<(string Id, string? ReplacedBy, IReadOnlyList<string> Replaces)> suppliedLinks =
            [.. suppliedResources.Where(r => r.ResourceType == "Patient").Select(r =>
            {
                var (replacedBy, replaces) = PatientMergeLinks.Read(r.Json, r.FullUrl);
                return (r.Id, replacedBy, replaces);
            })];
        patientId = string.IsNullOrWhiteSpace(patientId) ? PatientOf(suppliedResources, suppliedLinks) : patientId.Trim();
        var resources = new Dictionary<(string, string), TimelineResource>();
        var storeUnavailable = false;
        var historyCut = false;
        var storedCount = 0;
        // The asked chart and the charts the store holds merged with it (docs/timeline-store.md "Merged charts"): one
        // person's, so a supplied resource naming any of them is not another patient's.
        var charts = new HashSet<string>(StringComparer.Ordinal);
        if (patientId is not null)
            charts.Add(patientId);
        if (patientId is not null && useStoredHistory)
        {
            var (stored, readable, cut) = await ReadStoredAsync(patientId, suppliedResources.Count > 0, warnings, cancellationToken).ConfigureAwait(false);
            storeUnavailable = !readable;
            historyCut = cut;
            storedCount = stored.Count;
            // Every stored row read is of the asked chart or one merged with it (ITimelineStore.ReadPatientAsync), with or
            // without a Patient row of its own.
            foreach (var resource in stored)
            {
                resources[(resource.ResourceType, resource.Id)] = resource;
                if (resource.PatientId is { } chart)
                    charts.Add(chart);
            }
        }
        if (patientId is not null)
            AddSuppliedMerges(charts, suppliedLinks);
        var (otherPatient, partsLeftOut) = (0, 0);
        // Two supplied copies of one resource (a history Bundle's versions, newest first): the newer by its sender's meta
        // is read, as the store keeps it and ingestion picks it; unordered copies, the later (review s19 #5). The version
        // is chosen before anything else is judged: an older copy naming this patient does not stand in for a newer one
        // that moved the resource to another chart.
        var chosen = new Dictionary<(string, string), TimelineResource>();
        foreach (var resource in suppliedResources)
        {
            var key = (resource.ResourceType, resource.Id);
            if (!chosen.TryGetValue(key, out var held) || !IsNewerBySender(held, resource))
                chosen[key] = resource;
        }
        // Stored versions the patient's read does not return because a newer push moved them to another chart.
        var movedAway = patientId is not null && useStoredHistory && !storeUnavailable
            ? await MovedAwayAsync(chosen.Values.Where(r => !resources.ContainsKey((r.ResourceType, r.Id))).ToList(), charts, warnings, cancellationToken).ConfigureAwait(false)
            : [];
        foreach (var (key, resource) in chosen)
        {
            // A supplied copy replaces the stored one for this call, unless the stored one is newer (an EHR's cached
            // prefetch behind a push that came since): the store's newer version stays. By time only: the two may come
            // from different servers, whose version counters do not compare.
            if (resources.TryGetValue(key, out var stored) && IsNewerByTime(stored, resource))
                continue;
            if (movedAway.Contains(key))
            {
                otherPatient++;
                continue;
            }
            if (patientId is not null && resource.PatientId is not null && !charts.Contains(resource.PatientId))
            {
                // About another patient: left out, and the stored copy it supersedes with it.
                otherPatient++;
                resources.Remove(key);
                continue;
            }
            resources[key] = resource;
            if (readInPart.Contains(resource))
                partsLeftOut++;
        }
        if (resources.Count == 0)
            throw new PatientDataUnavailableException("No resources of the patient are stored or supplied.") { OtherPatientResources = otherPatient };
        // A stored resource's issues name its type, not its id: it may have been pushed by another client, and ids are
        // often accession numbers or MRN-like; a resource the caller supplied keeps its id, which the caller knows.
        // One order for one record, however it arrived (a search's matches, prefetch keys, earlier pushes): events of one
        // timestamp keep the order of their resources, and a tokenizer fitted before the canonical tie order (models built
        // before 2026-12-06, such as the demo model until 2026-12-07) writes them so. By type, then id: the order of types a
        // Bulk Data export gives the offline ingestion, one file per type read in name order (service review s10 #2). Within
        // a type an export keeps its own order, which no id order reproduces: such a model reads a record here otherwise
        // than it was trained (the old demo model lost 0.03-0.05 AUROC so), a canonical one alike (docs/demo-model.md).
        // A supplied resource was parsed when it was read (ReadSupplied): that parse is mapped, not a second one of the
        // same bytes; a stored one is parsed here.
        var present = resources.Values
            .Select(r => (Resource: r, Parsed: parsedSupplied.TryGetValue(r, out var read)
                ? read.As(new FhirResourceEnvelope(r.ResourceType, Scope, $"{r.ResourceType}/{r.Id}", r.FullUrl, Scope, r.Json))
                : ParseStored(r)))
            .ToList();
        // The Medications and Locations they reference, stored without a patient, as a supplied Bundle would hold them.
        if (patientId is not null && useStoredHistory && !storeUnavailable)
        {
            var (shared, readable) = await ReadSharedAsync(present, suppliedResources.Count > 0, warnings, cancellationToken).ConfigureAwait(false);
            present.AddRange(shared);
            storeUnavailable = !readable;
        }
        var parsed = present
            .OrderBy(p => p.Resource.ResourceType, StringComparer.Ordinal).ThenBy(p => p.Resource.Id, StringComparer.Ordinal)
            .Select(p => p.Parsed)
            .ToArray();
        // Merged charts map to the one they were merged into, as ingestion maps them: the asked chart's events are those
        // of the subject the mapping resolves it to (itself, unless it was merged away).
        // A live record: a value known by date alone is placed no later than now (FhirMappingSettings.ReadAt).
        var mapping = Mapping with { ReadAt = time.GetUtcNow().UtcDateTime };
        var timeline = patientId is null ? FhirTimelineMapper.Map(parsed, mapping) : FhirTimelineMapper.Map(parsed, mapping, patientId);
        if (timeline.Subjects.Count > 1)
            throw new PatientInputException("The supplied resources hold several patients; name the patient.", nameof(patientId));
        warnings.AddRange(timeline.Issues.Where(i => i.Severity >= IssueSeverity.Warning));
        if (timeline.Events.Count == 0)
            throw new PatientDataUnavailableException("The patient's resources yield no events.") { OtherPatientResources = otherPatient };
        var gaps = new DataGaps(rejected, otherPatient, partsLeftOut, storeUnavailable) { StoredHistoryCut = historyCut };
        // Each Encounter's class, by its event encounter id: what an encounter hook's encounter is when its events do
        // not say (one a status rule left out, such as a clinic visit still `planned`: review s21-fixes M3).
        var classes = new Dictionary<long, string>();
        foreach (var resource in parsed)
        {
            if (resource.Result.Resource is FhirRisk.Fhir.Model.FhirEncounter { Id: { } id, Class.Code: { } code })
                classes.TryAdd(EncounterIdOf(id), code.Trim());
        }
        return new PatientEventsResult(timeline.Events, warnings)
        {
            Gaps = gaps, StoredResources = storedCount, EncounterClasses = classes, CodeDescriptions = timeline.CodeDescriptions,
        };
    }

    /// <summary>
    /// Whether <paramref name="held"/> is a newer version than <paramref name="other"/> by its sender's <c>meta</c>, by the
    /// store's rule (<see cref="SqlTimelineStore"/>): a later <c>lastUpdated</c> when both have one and they differ, else a
    /// greater <c>versionId</c> when both have one; anything else is not ordered.
    /// </summary>
    internal static bool IsNewerBySender(TimelineResource held, TimelineResource other)
    {
        var (a, b) = (held.SourceVersion, other.SourceVersion);
        if (a?.LastUpdatedMicros is { } heldUpdated && b?.LastUpdatedMicros is { } otherUpdated && heldUpdated != otherUpdated)
            return heldUpdated > otherUpdated;
        return a?.VersionId is { } heldVersion && b?.VersionId is { } otherVersion && heldVersion > otherVersion;
    }

    /// <summary>Whether <paramref name="held"/> was updated later than <paramref name="other"/> by their senders'
    /// <c>meta.lastUpdated</c>, both known; version counters are not compared (two servers count apart).</summary>
    internal static bool IsNewerByTime(TimelineResource held, TimelineResource other) =>
        held.SourceVersion?.LastUpdatedMicros is { } heldUpdated && other.SourceVersion?.LastUpdatedMicros is { } otherUpdated && heldUpdated > otherUpdated;

    /// <summary>
    /// The keys of <paramref name="supplied"/> whose stored version is newer (<see cref="IsNewerByTime"/>) and belongs to
    /// a chart not among <paramref name="charts"/>: a push corrected the resource to another patient since the copy the
    /// caller supplied was made, so the copy must not bring it back into this record. Only copies with a
    /// <c>lastUpdated</c> can lose, so only those are looked up.
    /// </summary>
    private async Task<HashSet<(string, string)>> MovedAwayAsync(IReadOnlyList<TimelineResource> supplied, HashSet<string> charts, List<Issue> warnings,
        CancellationToken cancellationToken)
    {
        var moved = new HashSet<(string, string)>();
        var dated = supplied.Where(r => r.SourceVersion?.LastUpdatedMicros is not null && r.PatientId is not null).ToList();
        if (dated.Count == 0)
            return moved;
        try
        {
            foreach (var ofType in dated.GroupBy(r => r.ResourceType, StringComparer.Ordinal))
            {
                var copies = ofType.ToDictionary(r => r.Id, StringComparer.Ordinal);
                foreach (var stored in await store.Store.ReadReferencedAsync(ofType.Key, copies.Keys, [], cancellationToken).ConfigureAwait(false))
                {
                    if (copies.TryGetValue(stored.Id, out var copy) && stored.PatientId is { } owner && !charts.Contains(owner) && IsNewerByTime(stored, copy))
                        moved.Add((stored.ResourceType, stored.Id));
                }
            }
        }
        catch (TimelineStoreUnavailableException)
        {
            warnings.Add(Issue.Warning(FhirPushIssueCodes.StoreUnavailable, "",
                "the timeline store became unavailable; whether a supplied resource was since moved to another patient could not be checked"));
        }
        return moved;
    }

    /// <summary>The stored resources of the patient within <c>TimelineStore:MaxPatientReadBytes</c>, whether the store could
    /// be read, and whether older rows were left (a warning PUSH104 says so).</summary>
    private async Task<(IReadOnlyList<TimelineResource> Resources, bool Readable, bool Cut)> ReadStoredAsync(string patientId, bool hasSupplied,
        List<Issue> warnings, CancellationToken cancellationToken)
    {
        try
        {
            store.EnsureReady();
            var read = await store.Store.ReadPatientWithinAsync(patientId, store.MaxPatientReadBytes, cancellationToken).ConfigureAwait(false);
            if (read.Cut)
            {
                warnings.Add(Issue.Warning(FhirPushIssueCodes.StoredHistoryCut, "", string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"the patient's stored history is over {store.MaxPatientReadBytes >> 20} MiB (TimelineStore:MaxPatientReadBytes): only the resources stored most recently were read")));
            }
            return (read.Resources, true, read.Cut);
        }
        catch (TimelineStoreUnavailableException) when (hasSupplied)
        {
            // The request brought data of its own: answer from it, and say that the history was missing.
            warnings.Add(Issue.Warning(FhirPushIssueCodes.StoreUnavailable, "", "the timeline store is unavailable; only the supplied resources were read"));
            return ([], false, false);
        }
    }

    private ParsedResource ParseStored(TimelineResource r) =>
        ParsedResource.Parse(new FhirResourceEnvelope(r.ResourceType, Scope, r.ResourceType, r.FullUrl, Scope, r.Json), reading.Resources);

    /// <summary>The stored shared resources <paramref name="present"/> references (<see cref="SharedResourceReader"/>), and
    /// whether the store could be read.</summary>
    private async Task<(IReadOnlyList<(TimelineResource Resource, ParsedResource Parsed)> Resources, bool Readable)> ReadSharedAsync(
        IReadOnlyCollection<(TimelineResource Resource, ParsedResource Parsed)> present, bool hasSupplied, List<Issue> warnings,
        CancellationToken cancellationToken)
    {
        try
        {
            return (await SharedResourceReader.ReadAsync(store.Store, present, ParseStored, cancellationToken).ConfigureAwait(false), true);
        }
        catch (TimelineStoreUnavailableException) when (hasSupplied)
        {
            warnings.Add(Issue.Warning(FhirPushIssueCodes.StoreUnavailable, "", "the timeline store is unavailable; the shared resources the record references were not read"));
            return ([], false);
        }
    }

    /// <summary>The supplied resources the reader accepted, how many entries it refused, those it kept without some of
    /// their elements (the refused entries' issues go to <paramref name="warnings"/>; the kept ones' come from the
    /// mapping), and each kept one as the reader parsed it.</summary>
    private static (List<TimelineResource> Resources, int Rejected, HashSet<TimelineResource> ReadInPart,
        Dictionary<TimelineResource, ParsedResource> Parsed) ReadSupplied(IReadOnlyList<SuppliedFhirDocument> supplied, List<Issue> warnings)
    {
        var resources = new List<TimelineResource>();
        var readInPart = new HashSet<TimelineResource>(ReferenceEqualityComparer.Instance);
        var parsed = new Dictionary<TimelineResource, ParsedResource>(ReferenceEqualityComparer.Instance);
        var rejected = 0;
        for (var i = 0; i < supplied.Count; i++)
        {
            if (!supplied[i].Envelope.IsUsable)
                throw new PatientInputException($"Supplied FHIR document {i} is not usable ({supplied[i].Envelope.Issues[0].Code}).", nameof(supplied));
            foreach (var entry in supplied[i].Entries)
            {
                if (entry.Resource is not { } resource)
                {
                    warnings.AddRange(entry.Issues.Where(e => e.Severity >= IssueSeverity.Warning));
                    rejected++;
                    continue;
                }
                // A kept resource's reader issues come back once more, named by its Type/id, when the timeline is
                // mapped: reported here as well, each counted twice on the card (service review s10 #7).
                resources.Add(resource);
                parsed[resource] = entry.Parsed!;
                if (entry.Issues.Any(IgnoresAnElement))
                    readInPart.Add(resource);
            }
        }
        return (resources, rejected, readInPart, parsed);
    }

    /// <summary>A reader warning that dropped an element's value (FHIR006–FHIR010). A date-time without a zone
    /// (FHIR018) keeps its value, read in the site time zone; a resource the push could not link to a patient (PUSH103) is whole, and
    /// the mapping decides whether it is this patient's.</summary>
    private static bool IgnoresAnElement(Issue issue) =>
        issue.Severity == IssueSeverity.Warning && issue.Code is not (FhirIssueCodes.DateTimeWithoutZone or FhirPushIssueCodes.NoPatient);

    /// <summary>The one patient the supplied resources belong to; null when they name none (the mapping then finds it).</summary>
    /// <summary>Adds to <paramref name="charts"/> the supplied Patients merged with one of them (a Bundle holding a merged
    /// chart and its survivor: one person), either way a link says it, until nothing new comes or the store's cap.</summary>
    private static void AddSuppliedMerges(HashSet<string> charts, IReadOnlyList<(string Id, string? ReplacedBy, IReadOnlyList<string> Replaces)> links)
    {
        var grown = true;
        while (grown && charts.Count < SqlTimelineStore.MaxMergedCharts)
        {
            grown = false;
            foreach (var (id, replacedBy, replaces) in links)
            {
                if (charts.Contains(id))
                {
                    foreach (var linked in replacedBy is null ? replaces : replaces.Append(replacedBy))
                        grown |= charts.Add(linked);
                }
                else if (replacedBy is not null && charts.Contains(replacedBy) || replaces.Any(charts.Contains))
                {
                    grown |= charts.Add(id);
                }
            }
        }
    }

    private static string? PatientOf(List<TimelineResource> supplied, IReadOnlyList<(string Id, string? ReplacedBy, IReadOnlyList<string> Replaces)> links)
    {
        // Charts merged into another (a supplied Patient's own replaced-by) are that one's: a Bundle holding a merged chart
        // and its survivor is one patient, the survivor.
        var replacedBy = links.Where(p => p.ReplacedBy is not null)
            .DistinctBy(p => p.Id, StringComparer.Ordinal)
            .ToDictionary(p => p.Id, p => p.ReplacedBy!, StringComparer.Ordinal);
        string Survivor(string id)
        {
            for (var step = 0; step < 8 && replacedBy.TryGetValue(id, out var next); step++)
                id = next;
            return id;
        }
        var patients = supplied.Select(r => r.PatientId).OfType<string>().Select(Survivor).Distinct(StringComparer.Ordinal).ToArray();
        return patients.Length switch
        {
            0 => null,
            1 => patients[0],
            _ => throw new PatientInputException("The supplied resources hold several patients; name the patient.", "patientId"),
        };
    }
}

/// <summary>A patient's events in MEDS order and the warnings found on the way (codes and paths, never values).</summary>
internal sealed record PatientEventsResult(IReadOnlyList<MedsEvent> Events, IReadOnlyList<Issue> Warnings)
{
    /// <summary>What of the patient's data was left out (counts).</summary>
    public DataGaps Gaps { get; init; } = DataGaps.None;

    /// <summary>How many stored resources of the patient were read.</summary>
    public int StoredResources { get; init; }

    /// <summary>The <c>class</c> code of each Encounter read, by its MEDS encounter id.</summary>
    public IReadOnlyDictionary<long, string> EncounterClasses { get; init; } = new Dictionary<long, string>();

    /// <summary>The ends of stays this service wrote itself at the prediction time (<see cref="DischargeNow"/>, for
    /// <c>encounter-discharge</c>), among <see cref="Events"/>: no clinician entered them, so they are context for the
    /// model but no reason a card may give for its risk.</summary>
    public IReadOnlyList<MedsEvent> WrittenEnds { get; init; } = [];

    /// <summary>Readable names of the record's codes, from its codings' displays (<see cref="FhirTimeline.CodeDescriptions"/>):
    /// what an explanation labels its facts with. Empty for events given as MEDS.</summary>
    public IReadOnlyDictionary<string, string> CodeDescriptions { get; init; } = new Dictionary<string, string>();
}
