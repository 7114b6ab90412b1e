using FhirRisk.Core;
using FhirRisk.Meds.Internal;

namespace FhirRisk.Meds;

/// <summary>
/// Writes a MEDS v0.4 dataset (DESIGN §3): call <see cref="WriteSubject"/> once per subject (events in any order),
/// optionally <see cref="AddCodeMetadata"/>, then <see cref="Complete"/> to write <c>metadata/</c>. Subjects stream to
/// their split's shards as they arrive; equal input and clock give byte-identical files.
/// </summary>
public sealed class MedsDatasetWriter : IDisposable
{
    private readonly string _root;
    private readonly MedsDatasetWriterSettings _settings;
    private readonly Dictionary<string, MedsShardWriter> _splits = new(StringComparer.Ordinal);
    private readonly Dictionary<long, string> _splitBySubject = [];
    private readonly Dictionary<string, MedsCodeMetadata?> _codes = new(StringComparer.Ordinal);
    private readonly SubjectEventSorter _sorter = new();
    private bool _completed;

    /// <summary>Prepares <paramref name="root"/>; throws <see cref="IOException"/> when it already holds a dataset.</summary>
    public MedsDatasetWriter(string root, MedsDatasetWriterSettings? settings = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _settings = settings ?? MedsDatasetWriterSettings.Default;
        _settings.Validate();
        _root = Path.GetFullPath(root);
        foreach (var folder in new[] { MedsSchema.DataFolder, MedsSchema.MetadataFolder })
        {
            var path = Path.Combine(_root, folder);
            if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
                throw new IOException($"'{path}' is not empty. Hint: write each dataset to a new folder so old shards cannot mix in.");
        }
        // Events of patients and metadata/subject_map.parquet (subject_id → FHIR Patient id): the root and metadata/ are
        // created owner-only (0700), so what is written inside is no one else's to read (docs/formats/fhir-ingestion.md).
        OwnerOnlyFiles.CreateFolder(Path.Combine(_root, MedsSchema.MetadataFolder));
    }

    /// <summary>Gives a code its description and parent codes in <c>codes.parquet</c> (last call wins).</summary>
    public void AddCodeMetadata(MedsCodeMetadata code)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentException.ThrowIfNullOrEmpty(code.Code);
        _codes[code.Code] = code;
    }

    /// <summary>
    /// Names the codes of the data that have no description yet, at <see cref="Complete"/>: <paramref name="describe"/>
    /// gives a code's description or null (ingestion's <see cref="FhirMapping.CodeDescriptions.Lookup"/> over the
    /// displays of the codings it mapped).
    /// </summary>
    public void DescribeCodes(Func<string, string?> describe)
    {
        ArgumentNullException.ThrowIfNull(describe);
        _describe = describe;
    }

    private Func<string, string?>? _describe;

    /// <summary>
    /// Writes all events of one subject, sorting them (static first, then by time, stable). The split is
    /// <paramref name="split"/> when given, else drawn from the settings' fractions by hashed subject id.
    /// </summary>
    /// <returns>The subject's split.</returns>
    public string WriteSubject(long subjectId, IEnumerable<MedsEvent> events, string? split = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        ObjectDisposedException.ThrowIf(_completed, this);
        split ??= _settings.SplitFractions.Assign(subjectId, _settings.SplitSalt);
        CheckSplitName(split);
        if (_splitBySubject.ContainsKey(subjectId))
            throw new ArgumentException($"Subject {subjectId} was already written; MEDS keeps each subject in exactly one shard.", nameof(subjectId));

        _sorter.Sort(events);
        var sorted = _sorter.Events;
        if (sorted.IsEmpty)
            throw new ArgumentException($"Subject {subjectId} has no events.", nameof(events));
        foreach (ref readonly var ev in sorted)
        {
            if (ev.SubjectId != subjectId)
                throw new ArgumentException($"An event of subject {ev.SubjectId} was passed for subject {subjectId}.", nameof(events));
            if (string.IsNullOrEmpty(ev.Code))
                throw new ArgumentException($"Subject {subjectId} has an event without a code.", nameof(events));
        }
        // Codes are recorded only once the whole subject is accepted, so a rejected subject leaves no trace in codes.parquet.
        foreach (ref readonly var ev in sorted)
            _codes.TryAdd(ev.Code, null);

        if (!_splits.TryGetValue(split, out var shards))
            _splits.Add(split, shards = new MedsShardWriter(_root, split, _settings));
        shards.Append(sorted, _sorter.TimeMicros);
        _splitBySubject.Add(subjectId, split);
        return split;
    }

    /// <summary>Closes the shards and writes <c>codes.parquet</c>, <c>subject_splits.parquet</c> and <c>dataset.json</c>.</summary>
    public MedsDatasetWriteSummary Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        _completed = true;
        foreach (var shards in _splits.Values)
            shards.Dispose();

        var options = _settings.ParquetOptions;
        var codes = _codes.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => Described(c.Key, c.Value)).ToArray();
        CodesTable.Write(Path.Combine(_root, MedsSchema.CodesFile), codes, options);
        var splits = _splitBySubject.OrderBy(s => s.Key).ToArray();
        SubjectSplitsTable.Write(Path.Combine(_root, MedsSchema.SubjectSplitsFile), splits, options);
        using (var metadata = new StreamWriter(OwnerOnlyFiles.Create(Path.Combine(_root, MedsSchema.DatasetMetadataFile)), new System.Text.UTF8Encoding(false)))
            metadata.Write(BuildMetadata().ToJson());

        var ordered = _splits.OrderBy(s => s.Key, Comparer<string>.Create(MedsSchema.CompareSplits)).ToArray();
        return new MedsDatasetWriteSummary(
            ordered.ToDictionary(s => s.Key, s => splits.Count(e => e.Value == s.Key)),
            ordered.SelectMany(s => s.Value.Shards).ToArray(),
            ordered.Sum(s => s.Value.Rows),
            codes.Length);
    }

    private MedsCodeMetadata Described(string code, MedsCodeMetadata? metadata) =>
        metadata is { Description: not null } || _describe?.Invoke(code) is not { } description
            ? metadata ?? new MedsCodeMetadata(code)
            : (metadata ?? new MedsCodeMetadata(code)) with { Description = description };

    /// <summary>Closes open shard files. Without <see cref="Complete"/> the dataset has no metadata and is incomplete.</summary>
    public void Dispose()
    {
        foreach (var shards in _splits.Values)
            shards.Dispose();
        _completed = true;
    }

    private MedsDatasetMetadata BuildMetadata() => new()
    {
        DatasetName = _settings.DatasetName,
        DatasetVersion = _settings.DatasetVersion,
        EtlName = _settings.EtlName,
        EtlVersion = _settings.EtlVersion,
        MedsVersion = MedsSchema.MedsVersion,
        CreatedAt = MedsDatasetMetadata.FormatCreatedAt(_settings.Clock.UtcNow),
        SiteTimeZone = _settings.SiteTimeZone,
    };

    private static void CheckSplitName(string split)
    {
        if (split.Length == 0 || split is "." or ".." || split.IndexOfAny(['/', '\\']) >= 0)
            throw new ArgumentException($"'{split}' cannot be a split folder name.", nameof(split));
    }
}
