using FhirRisk.Core;

namespace FhirRisk.Meds.Ingestion;

/// <summary>What became of the resources of one type (pass 2 counts; pass 1 only indexes).</summary>
/// <param name="Read">Resources found in the input.</param>
/// <param name="Parsed">Parsed into the model (recoverable issues allowed) and mapped.</param>
/// <param name="Skipped">Types we do not ingest: counted, not an error.</param>
/// <param name="Failed">Unrecoverable: quarantined with their issues.</param>
public sealed record FhirResourceCounts(long Read, long Parsed, long Skipped, long Failed);

/// <summary>The report of one <see cref="FhirIngestion.Run"/>; every dictionary is ordered by key (ordinal).</summary>
/// <param name="ResourcesByType">Counts per <c>resourceType</c>; types that are not R4 resource types are counted
/// together under <c>(other type)</c>, never by the input's string.</param>
/// <param name="EventsByCodeFamily">MEDS events per code family: the code before its first <c>//</c> (<c>LOINC</c>, <c>MEDS_BIRTH</c>).</param>
/// <param name="IssuesByCode">Issues per stable code (reader, parser, mapping and OMOP codes alike).</param>
/// <param name="Issues">The first <see cref="FhirIngestionSettings.MaxIssuesKept"/> issues, in the order found.</param>
/// <param name="Quarantined">Resources (or unreadable lines) written to <c>quarantine/*.ndjson</c>.</param>
/// <param name="Files">Input files discovered.</param>
/// <param name="BytesRead">Input bytes read in pass 2 (as the reader counts them).</param>
/// <param name="Subjects">Subjects written to the MEDS dataset.</param>
/// <param name="Events">Event rows written.</param>
/// <param name="Elapsed">Wall-clock time of the run.</param>
public sealed record FhirIngestionSummary(
    IReadOnlyDictionary<string, FhirResourceCounts> ResourcesByType,
    IReadOnlyDictionary<string, long> EventsByCodeFamily,
    IReadOnlyDictionary<string, long> IssuesByCode,
    IReadOnlyList<Issue> Issues,
    long Quarantined,
    int Files,
    long BytesRead,
    int Subjects,
    long Events,
    TimeSpan Elapsed)
{
    /// <summary>True when no event could be produced from the inputs (the CLI's failure exit code).</summary>
    public bool NothingIngested => Events == 0;

    /// <summary>Resources found in the input, all types.</summary>
    public long Resources => ResourcesByType.Values.Sum(c => c.Read);

    /// <summary>Wall-clock time of each phase, for users sizing a run and for profiling.</summary>
    public FhirIngestionPhaseTimes Phases { get; init; } = new(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
}

/// <summary>How long each phase of a run took (wall clock).</summary>
/// <param name="Index">Discovery and pass 1 (the index of Patient, Encounter, Location, Medication).</param>
/// <param name="Map">Pass 2: parse, map, spool, quarantine, OMOP rows.</param>
/// <param name="Write">MEDS shards and metadata from the spool.</param>
public sealed record FhirIngestionPhaseTimes(TimeSpan Index, TimeSpan Map, TimeSpan Write);

/// <summary>Progress of a run, for progress bars: bytes over both passes and resources read.</summary>
/// <param name="Phase"><c>index</c> (pass 1), <c>map</c> (pass 2) or <c>write</c> (MEDS shards).</param>
/// <param name="BytesRead">Bytes read so far over both passes.</param>
/// <param name="TotalBytes">Bytes both passes will read (file lengths).</param>
/// <param name="Resources">Resources read so far in pass 2 (pass 1 reads only the indexed types).</param>
public readonly record struct FhirIngestionProgress(string Phase, long BytesRead, long TotalBytes, long Resources);
