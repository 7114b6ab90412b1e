using System.Collections.Concurrent;
using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// Pass-1 knowledge of a run: every Patient, Encounter, Location and Medication, keyed by <c>Type/id</c> (global in a
/// run, because a bulk export references across files) and by (scope, fullUrl) for <c>urn:uuid:</c> and absolute
/// references inside a bundle (FHIR R4 §2.36.4 "Resolving references in Bundles"). Contained resources are resolved
/// per resource, never indexed here. Subject ids are <c>StableHash.Of63(Source + "|Patient/" + id)</c> (DESIGN §3),
/// keyed when the settings hold a subject key; two different patient ids with the same hash are reported in <see cref="Collisions"/>. <see cref="Add"/> is not
/// thread-safe: fill the index in one pass, then resolve from any number of threads.
/// </summary>
public sealed partial class FhirIndex(FhirMappingSettings settings)
{
    private static readonly IReadOnlySet<string> s_indexedTypes = ResourceIdentity.TrackedTypes;

    private readonly Dictionary<string, (FhirResource Resource, string Scope)> _byTypeId = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Scope, string FullUrl), (FhirResource Resource, string Scope)> _byFullUrl = [];
    private readonly Dictionary<long, (string PatientId, FhirPatient Patient, string FirstPath)> _patients = [];
    private readonly ConcurrentDictionary<FhirEncounter, FhirEncounterInfo> _encounterInfo = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<string, long> _subjectIds = new(StringComparer.Ordinal);
    private readonly List<(FhirEncounter Encounter, FhirResourceEnvelope Envelope)> _deathEncounters = [];
    private HashSet<long>? _dispositionDeaths;

    /// <summary>The service bases of the run's absolute fullUrls (<see cref="FhirReferences.BaseOf"/>): the servers the
    /// input says it comes from.</summary>
    private readonly HashSet<string> _bases = new(StringComparer.Ordinal);
    private readonly List<Issue> _collisions = [];
    private readonly Dictionary<string, string> _replacedBy = new(StringComparer.Ordinal);

    /// <summary>Merges told by the surviving chart only (its link replaces): followed where the replaced chart has no
    /// link of its own.</summary>
    private readonly Dictionary<string, string> _replacedVia = new(StringComparer.Ordinal);

    public FhirIndex()
        : this(new FhirMappingSettings())
    {
    }

    public FhirMappingSettings Settings { get; } = settings;

    /// <summary>(subject id, FHIR Patient id, source), sorted by subject id: the rows of metadata/subject_map.parquet.</summary>
    public IReadOnlyList<(long SubjectId, string PatientId, string Source)> SubjectMap =>
        _patients.OrderBy(p => p.Key).Select(p => (p.Key, p.Value.PatientId, Settings.Source)).ToArray();

    /// <summary>Two different Patient ids hashing to one subject id (<see cref="FhirMappingIssueCodes.SubjectIdCollision"/>).</summary>
    public IReadOnlyList<Issue> Collisions => _collisions;

    /// <summary>Records a resource of an indexed type (Patient, Encounter, Location, Medication); others are ignored.</summary>
    public void Add(FhirResource resource, FhirResourceEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(envelope);
        // Every resource's fullUrl names a server the input comes from, whatever its type (as a push counts them).
        if (FhirReferences.BaseOf(envelope.FullUrl) is { } serverBase)
            _bases.Add(serverBase);
        if (!s_indexedTypes.Contains(resource.ResourceType))
            return;
        var id = resource.Id ?? ReferenceTarget.Parse(envelope.FullUrl)?.Id;
        if (id is not null)
            _byTypeId.TryAdd($"{resource.ResourceType}/{id}", (resource, envelope.Scope));
        if (envelope.FullUrl is { Length: > 0 } fullUrl)
            _byFullUrl.TryAdd((envelope.Scope, fullUrl), (resource, envelope.Scope));
        if (resource is FhirPatient patient && id is not null)
            AddPatient(patient, id, envelope);
        // Whose death the disposition tells is resolved once the whole input is indexed: whether its subject is on
        // another server depends on every fullUrl (Locate).
        if (resource is FhirEncounter encounter && EncounterMapper.WritesDispositionDeath(encounter))
            _deathEncounters.Add((encounter, envelope));
    }

    /// <summary>
    /// Records a superseded copy of an indexed resource (another copy of the same type and id wins, and was
    /// <see cref="Add"/>ed): only its <c>fullUrl</c>, naming <paramref name="winner"/>, so that what its bundle references
    /// by <c>urn:uuid:</c> still resolves.
    /// </summary>
    /// <param name="winner">The copy indexed.</param>
    /// <param name="winnerScope">The scope of the winner's own bundle or export, in which its references resolve.</param>
    /// <param name="envelope">The superseded copy.</param>
    public void AddCopy(FhirResource winner, string winnerScope, FhirResourceEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(winner);
        ArgumentNullException.ThrowIfNull(envelope);
        if (FhirReferences.BaseOf(envelope.FullUrl) is { } serverBase)
            _bases.Add(serverBase);
        if (envelope.FullUrl is { Length: > 0 } fullUrl)
            _byFullUrl.TryAdd((envelope.Scope, fullUrl), (winner, winnerScope));
    }

    /// <summary>The subject id a reference names; null when there is no reference or it names no Patient.</summary>
    public long? ResolveSubject(FhirReference? reference, FhirResourceEnvelope context) =>
        ResolveSubjectDetailed(reference, context).SubjectId;

    /// <summary>The encounter a reference names, when it was indexed.</summary>
    public FhirEncounterInfo? ResolveEncounter(FhirReference? reference, FhirResourceEnvelope context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var target = ReferenceTarget.Parse(reference?.Reference);
        if (target is null || Find(target.Value, "Encounter", context.Scope) is not { } found)
            return null;
        // Looked up by the indexed resource itself: no key string and no closure per lookup (every resource names its
        // encounter); the description is made once per encounter.
        var encounter = (FhirEncounter)found.Resource;
        if (_encounterInfo.TryGetValue(encounter, out var known))
            return known;
        return _encounterInfo.GetOrAdd(encounter, Describe(encounter, $"Encounter/{encounter.Id ?? target.Value.Id}", found.Scope, context));
    }

    /// <summary>The Encounter an encounter's <c>partOf</c> names, resolved where that encounter was found.</summary>
    internal FhirEncounterInfo? ResolveParent(FhirEncounterInfo info, FhirResourceEnvelope context) =>
        info.Encounter.PartOf is null ? null : ResolveEncounter(info.Encounter.PartOf, context with { Scope = info.Scope });

    /// <summary>A Medication: contained (<c>#id</c>) in <paramref name="owner"/> first, then the bundle or export.</summary>
    public FhirMedication? ResolveMedication(FhirReference? reference, FhirResource owner, FhirResourceEnvelope context)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(context);
        var target = ReferenceTarget.Parse(reference?.Reference);
        if (target is null)
            return null;
        if (target.Value.Form == ReferenceForm.Contained)
            return owner.Contained.OfType<FhirMedication>().FirstOrDefault(m => m.Id == target.Value.Id);
        return Find(target.Value, "Medication", context.Scope)?.Resource as FhirMedication;
    }

    /// <summary>True when the reference names an indexed Location whose name, type or physical type says ICU.</summary>
    public bool IsIcuLocation(FhirReference? reference, string scope = "") => FindLocation(reference, scope) is { } location && IsIcu(location);

    /// <summary>The indexed Patient of a subject id, if any.</summary>
    public FhirPatient? FindPatient(long subjectId) =>
        _patients.TryGetValue(subjectId, out var entry) ? entry.Patient : null;

    /// <summary>
    /// Where the first Patient of a subject was read (<c>file:location</c>), when another copy at <paramref name="envelope"/>
    /// comes later; null for the first copy, or a Patient pass 1 did not index. Input order is the run's file order, so
    /// every worker of pass 2 answers the same.
    /// </summary>
    internal string? EarlierPatientCopy(long subjectId, FhirResourceEnvelope envelope) =>
        _patients.TryGetValue(subjectId, out var entry) && entry.FirstPath != envelope.IssuePath("") ? entry.FirstPath : null;

    /// <summary>True when some indexed Encounter of the subject ends with a "died" discharge disposition.</summary>
    public bool HasDispositionDeath(long subjectId)
    {
        // Built on first use, after pass 1; mapping threads may race to build it, and every one builds the same set.
        var deaths = Volatile.Read(ref _dispositionDeaths);
        if (deaths is null)
        {
            deaths = [];
            foreach (var (encounter, envelope) in _deathEncounters)
            {
                if (ResolveSubject(encounter.Subject, envelope) is { } died)
                    deaths.Add(died);
            }
            Volatile.Write(ref _dispositionDeaths, deaths);
        }
        return deaths.Contains(subjectId);
    }

    /// <summary>
    /// A disposition code the tasks read as death (<see cref="Tasks.TaskCodes.DeathDispositions"/>: DIED, exp, UB-04 20
    /// and 40–42) in any case, or <c>expired</c>, or a display/text saying expired or died.
    /// </summary>
    public static bool IsDeathDisposition(FhirCodeableConcept? disposition)
    {
        if (disposition is null)
            return false;
        // SNOMED 371828006 "Patient deceased during stay (discharge status = dead)".
        string[] codes = [.. Tasks.TaskCodes.DeathDispositions, "expired", "371828006"];
        return disposition.Codings.Any(c =>
                (c.Code is { } code && codes.Contains(code.Trim(), StringComparer.OrdinalIgnoreCase)) || SaysDied(c.Display))
            || SaysDied(disposition.Text);

        static bool SaysDied(string? text) => text is not null
            && (text.Contains("expired", StringComparison.OrdinalIgnoreCase) || text.Contains("died", StringComparison.OrdinalIgnoreCase)
                || DeathWord().IsMatch(text));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(deceased|dead)\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex DeathWord();

    internal SubjectResolution ResolveSubjectDetailed(FhirReference? reference, FhirResourceEnvelope context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var target = ReferenceTarget.Parse(reference?.Reference);
        if (target is null)
            return new SubjectResolution(null, SubjectStatus.Missing);
        var (outcome, found) = Locate(target.Value, "Patient", context.Scope);
        if (found is { Resource: FhirPatient patient })
            return new SubjectResolution(SubjectIdOf(Survivor(patient.Id ?? target.Value.Id!)), SubjectStatus.Resolved);
        if (outcome == Lookup.Foreign)
            return new SubjectResolution(null, SubjectStatus.OtherServer);
        if (found is not null || (target.Value.Type is { } type && type != "Patient") || target.Value.Id is null
            || target.Value.Form == ReferenceForm.Contained)
            return new SubjectResolution(null, SubjectStatus.NotPatient);
        return new SubjectResolution(SubjectIdOf(Survivor(target.Value.Id)), SubjectStatus.Unresolved);
    }

    /// <summary>
    /// Nearly every resource names its patient, and the hash is a SHA-256 of the id, so ids are remembered: one entry
    /// per patient, as the index already holds for every Patient it has seen.
    /// </summary>
    internal long SubjectIdOf(string patientId) =>
        _subjectIds.GetOrAdd(patientId, static (id, settings) => settings.SubjectIdOf(id), Settings);

    internal long EncounterIdOf(string encounterId) => Settings.EncounterIdOf(encounterId);

    /// <summary>The Location a reference names: by the bundle's fullUrls first (a <c>urn:uuid</c> reference, R4 §2.36.4), as
    /// every other reference is resolved, then by type and id.</summary>
    internal FhirLocation? FindLocation(FhirReference? reference, string scope = "") =>
        ReferenceTarget.Parse(reference?.Reference) is { } target ? Find(target, "Location", scope)?.Resource as FhirLocation : null;

    private static bool IsIcu(FhirLocation location) =>
        EncounterClassifier.IsIcuText(location.Name)
        || location.Types.Any(EncounterClassifier.IsIcuConcept)
        || EncounterClassifier.IsIcuConcept(location.PhysicalType);

    /// <summary>The encounter info of an Encounter being mapped: the cached one when indexed, else computed now.</summary>
    internal FhirEncounterInfo DescribeEncounter(FhirEncounter encounter, FhirResourceEnvelope envelope)
    {
        var id = encounter.Id ?? ReferenceTarget.Parse(envelope.FullUrl)?.Id ?? envelope.Location;
        return ResolveEncounter(new FhirReference("Encounter/" + id), envelope)
            ?? Describe(encounter, "Encounter/" + id, envelope.Scope, envelope);
    }

    private FhirEncounterInfo Describe(FhirEncounter encounter, string key, string scope, FhirResourceEnvelope context)
    {
        var scoped = context with { Scope = scope };
        var parentId = ReferenceTarget.Parse(encounter.PartOf?.Reference)?.Id is { } parent ? EncounterIdOf(parent) : (long?)null;
        var icuByLocation = parentId is not null && encounter.Locations.Count > 0
            && encounter.Locations.All(l => IsIcuLocation(l.Location, scoped.Scope));
        var isIcu = EncounterClassifier.SaysIcu(encounter) || icuByLocation;
        // A ward or service leg recorded as a sub-encounter of a hospital stay is part of that stay (R4 Encounter.partOf):
        // as a stay of its own it would split the parent's length of stay and read each transfer as a discharge and a
        // readmission. A sub-encounter whose parent is not in the data stays what its class says.
        var isPartOfStay = !isIcu && parentId is not null && EncounterClassifier.IsInpatientClass(encounter)
            && ReferenceTarget.Parse(encounter.PartOf?.Reference) is { } parentTarget
            && Find(parentTarget, "Encounter", scope)?.Resource is FhirEncounter parentEncounter
            && EncounterClassifier.IsInpatientClass(parentEncounter);
        var isInpatient = EncounterClassifier.IsInpatientClass(encounter) && !(isIcu && parentId is not null) && !isPartOfStay;
        var isEmergency = !isInpatient && !isIcu && EncounterClassifier.IsEmergencyClass(encounter);
        return new FhirEncounterInfo(
            EncounterIdOf(key["Encounter/".Length..]),
            ResolveSubject(encounter.Subject, scoped),
            encounter,
            isIcu,
            isInpatient,
            isEmergency,
            parentId,
            isIcu ? IcuUnitOf(encounter, scoped.Scope) : null,
            isPartOfStay,
            scope);
    }

    private string IcuUnitOf(FhirEncounter encounter, string scope)
    {
        var first = encounter.Locations.OrderBy(l => l.Period?.Start?.Utc ?? DateTime.MaxValue).FirstOrDefault();
        if (FindLocation(first?.Location, scope)?.Name is { Length: > 0 } name)
            return name.Trim();
        if (first?.Location.Display is { Length: > 0 } display)
            return display.Trim();
        return encounter.Types.Concat([encounter.ServiceType]).FirstOrDefault(EncounterClassifier.IsIcuConcept)?.Text?.Trim()
            ?? "UNKNOWN";
    }

    private (FhirResource Resource, string Scope)? Find(ReferenceTarget target, string type, string scope) =>
        Locate(target, type, scope).Found;

    private enum Lookup
    {
        Found,
        NotFound,
        /// <summary>An absolute reference to a server none of the input's fullUrls names.</summary>
        Foreign,
    }

    private (Lookup Outcome, (FhirResource Resource, string Scope)? Found) Locate(ReferenceTarget target, string type, string scope)
    {
        // A fullUrl names its resource in the scope of the bundle that holds it — for a superseded copy's, the winner's
        // own scope, so what the winner references resolves where the winner was read (ResourceCopies).
        if (target.Form is ReferenceForm.Urn or ReferenceForm.Absolute
            && _byFullUrl.TryGetValue((scope, target.Raw), out var byUrl))
            return byUrl.Resource.ResourceType == type ? (Lookup.Found, byUrl) : (Lookup.NotFound, null);
        if (target.Form is ReferenceForm.Contained or ReferenceForm.Conditional or ReferenceForm.Urn
            || target.TypeAndId is not { } key || target.Type != type)
            return (Lookup.NotFound, null);
        // Type/id is one key in a run, so a reference that names another server must not be read by its id: another
        // person's results would join this one's record. An absolute reference names its server; one that no fullUrl of
        // the input names (of any resource, as a push counts them) is another server's. An input that names no server
        // (bulk NDJSON, urn:uuid bundles) cannot tell, and relative references are read on the input's own server: one
        // service reached under two names (http and https, an alias) gives its fullUrls two bases, and comparing a
        // relative reference's entry with its target's would drop the patient's own data (review s22-changes M1).
        if (target.Form == ReferenceForm.Absolute && FhirReferences.BaseOf(target.Raw) is { } referenceBase
            && _bases.Count > 0 && !_bases.Contains(referenceBase))
            return (Lookup.Foreign, null);
        return _byTypeId.TryGetValue(key, out var found) ? (Lookup.Found, found) : (Lookup.NotFound, null);
    }

    /// <summary>Most merges followed (a chain of replaced charts), so a cycle cannot loop.</summary>
    private const int MaxMergeSteps = 8;

    /// <summary>
    /// The id of the Patient that <paramref name="patientId"/>'s record was merged into (<c>Patient.link</c> of type
    /// <c>replaced-by</c>, followed through a chain), or <paramref name="patientId"/> itself: every reference to a
    /// replaced chart resolves to the surviving one, so one person is one subject.
    /// </summary>
    public string Survivor(string patientId)
    {
        var id = patientId;
        // A chart's own replaced-by decides, whatever order the Patients came in; a survivor's replaces only where the
        // replaced chart says nothing itself.
        for (var step = 0; step < MaxMergeSteps && (_replacedBy.TryGetValue(id, out var next) || _replacedVia.TryGetValue(id, out next)); step++)
            id = next;
        return id;
    }

    private void AddPatient(FhirPatient patient, string id, FhirResourceEnvelope envelope)
    {
        // Only links to a chart of the Patient's own server: an absolute link to another server's Patient named our chart of
        // the same id, another person (FhirReferences.SameServerPatient; review s24-store H1).
        if (FhirReferences.SameServerPatient(patient.ReplacedBy?.Reference, envelope.FullUrl) is { } survivor && survivor != id)
            _replacedBy.TryAdd(id, survivor);
        // The survivor's side of a merge: a link of type replaces names a record merged into this one, so the merge is
        // followed when only the surviving chart says so (a record's own replaced-by wins, Survivor).
        foreach (var replaced in patient.Replaces)
        {
            if (FhirReferences.SameServerPatient(replaced.Reference, envelope.FullUrl) is { } old && old != id)
                _replacedVia.TryAdd(old, id);
        }
        var subjectId = SubjectIdOf(id);
        if (!_patients.TryGetValue(subjectId, out var existing))
        {
            _patients[subjectId] = (id, patient, envelope.IssuePath(""));
            return;
        }
        if (existing.PatientId != id)
        {
            _collisions.Add(Issue.Error(
                FhirMappingIssueCodes.SubjectIdCollision, envelope.IssuePath("id"),
                $"Patient ids '{existing.PatientId}' and '{id}' hash to the same subject id {subjectId}"));
        }
    }
}

internal enum SubjectStatus
{
    Missing,
    Resolved,
    Unresolved,
    NotPatient,
    /// <summary>The reference names a Patient on another server than the input's (<see cref="FhirIndex"/>'s Locate).</summary>
    OtherServer,
}

internal readonly record struct SubjectResolution(long? SubjectId, SubjectStatus Status);
