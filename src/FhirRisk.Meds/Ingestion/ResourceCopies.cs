using FhirRisk.Fhir;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// Copies of one indexed resource — a Patient, Encounter, Location or Medication whose type and <c>id</c> come more than
/// once: the versions a <c>history</c> Bundle carries, an incremental export put beside a full one, a Patient repeated in
/// each of a patient's bundles. Pass 1, which parses these types anyway, sees each copy's identity
/// (<see cref="ResourceIdentity"/>, read from its top level) and keeps, per type and id, the copy that wins: the latest
/// <c>meta.lastUpdated</c>, else the highest <c>meta.versionId</c>, else the last in input order (file order, then place in
/// the file); a copy with a version beats one without. Pass 1 indexes and pass 2 maps only that copy, so one encounter is
/// one stay and a Patient's later copy with a death is the one read, as the service, which stores one copy per type
/// and id, reads them. Other types are not tracked (each copy is mapped): knowing their copies would take pass 1 through
/// every file and about 60 bytes per resource. Filled on one thread, then read from any number; the order of filling
/// does not change the winner.
/// </summary>
internal sealed class ResourceCopies
{
    private const long None = long.MinValue;

    private readonly Dictionary<UInt128, Copy> _best = [];
    private readonly Dictionary<string, int> _files = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<FhirInputFile> _inputs;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, UInt128> _typeKeys = new(StringComparer.Ordinal);

    /// <summary>The types whose copies are chosen between: those pass 1 parses (<see cref="IndexPassSelection.IndexedTypes"/>).</summary>
    private static readonly IReadOnlySet<string> s_mapped = IndexPassSelection.IndexedTypes;

    public ResourceCopies(IReadOnlyList<FhirInputFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        _inputs = files;
        for (var i = 0; i < files.Count; i++)
            _files.TryAdd(files[i].Path, i);
    }


    /// <summary>Pass 1: records one copy (in input order).</summary>
    public void Observe(FhirResourceEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        if (envelope.Identity is not { } identity || !s_mapped.Contains(envelope.ResourceType) || !_files.TryGetValue(envelope.SourceFile, out var file))
            return;
        var copy = new Copy(identity.UpdatedTicks ?? None, identity.VersionId ?? None, file, envelope.Position, 1);
        var key = Key(envelope.ResourceType, identity.IdHash);
        if (!_best.TryGetValue(key, out var best))
        {
            _best.Add(key, copy);
            return;
        }
        _best[key] = (Outranks(copy, best) ? copy : best) with { Copies = best.Copies + 1 };
    }

    /// <summary>
    /// Pass 2: whether <paramref name="envelope"/> is a copy that another outranks, and where that one is
    /// (<c>file:location</c>).
    /// </summary>
    public bool IsSuperseded(FhirResourceEnvelope envelope, out string? winner)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        winner = null;
        if (envelope.Identity is not { } identity || !_files.TryGetValue(envelope.SourceFile, out var file)
            || !TryGetBest(envelope.ResourceType, identity.IdHash, out var best) || best.Copies == 1)
            return false;
        if (best.File == file && best.Position == envelope.Position)
            return false;
        var input = _inputs[best.File];
        winner = input.IsNdjson
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{input.Path}:line {best.Position}")
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{input.Path} (the resource at byte {best.Position})");
        return true;
    }

    private bool TryGetBest(string type, UInt128 id, out Copy best) => _best.TryGetValue(Key(type, id), out best);

    /// <summary>One 128-bit key per type and id: the id's hash mixed with the type's, so that an Observation and a
    /// Condition with one id are different resources.</summary>
    private UInt128 Key(string type, UInt128 id) => id ^ _typeKeys.GetOrAdd(type, static name =>
    {
        var digest = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name));
        return new UInt128(BitConverter.ToUInt64(digest, 0), BitConverter.ToUInt64(digest, 8));
    });

    /// <summary>The later version, else the later place in the input; a version beats none.</summary>
    private static bool Outranks(Copy a, Copy b)
    {
        if (a.Updated != b.Updated)
            return a.Updated > b.Updated;
        if (a.Version != b.Version)
            return a.Version > b.Version;
        return a.File != b.File ? a.File > b.File : a.Position > b.Position;
    }

    private readonly record struct Copy(long Updated, long Version, int File, long Position, int Copies);
}
