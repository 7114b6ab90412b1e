using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Server.Patients;
using FhirRisk.Fhir.Push;
using FhirRisk.Server.Timeline;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.FhirPush;

/// <summary>
/// FHIR push (DESIGN §7, docs/fhir-push.md): a Bundle or NDJSON becomes stored resources with one outcome per entry.
/// A <b>transaction</b> is all or nothing: any rejected entry, or a failed write, leaves the store as it was and the
/// answer is 400 with an OperationOutcome. A <b>batch</b>, a <b>collection</b> and NDJSON are entry by entry: the valid
/// entries are written in runs of up to <see cref="MaxEntriesPerWrite"/> per transaction, each entry answering for itself,
/// and the answer lists every entry's outcome. Logs hold counts only.
/// </summary>
internal sealed partial class FhirPushService(TimelineStoreState store, FhirPushOptions options, ILogger<FhirPushService> logger,
    FhirReading? reading = null)
{
    private static readonly FhirReaderSettings Reader = FhirReaderSettings.Default;

    /// <summary>Each resource is checked as the predictions will read it back (in the site time zone, so an issue about a
    /// time without an offset says which zone it is read in).</summary>
    private readonly FhirReaderSettings _resources = (reading ?? FhirReading.Utc).Resources;

    /// <summary>A <c>POST /fhir</c> body (JSON).</summary>
    public async Task<FhirPushResult> PushBundleAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var document = FhirPushReader.ReadJson(body, Reader, options.MaxEntries);
        if (document.ExceedsEntryLimit)
            return TooManyEntries("Bundle.entry");
        if (!document.IsUsable)
            return FhirPushResult.Invalid(document.Issues);
        if (document.ResourceType != "Bundle")
            return FhirPushResult.Invalid([Issue.Error(FhirPushIssueCodes.NotABundle, document.ResourceType ?? "", "POST /fhir takes a Bundle (transaction, batch or collection)")]);
        return document.BundleType switch
        {
            "transaction" => await TransactionAsync(document, cancellationToken).ConfigureAwait(false),
            "batch" => await EntryByEntryAsync(document, "batch", requireRequest: true, cancellationToken).ConfigureAwait(false),
            "collection" => await EntryByEntryAsync(document, "collection", requireRequest: false, cancellationToken).ConfigureAwait(false),
            _ => FhirPushResult.Invalid([Issue.Error(FhirPushIssueCodes.BundleTypeNotAccepted, "Bundle.type",
                $"Bundle.type '{document.BundleType}' is not accepted; push a transaction, batch or collection")]),
        };
    }

    /// <summary>A <c>POST /fhir/$import</c> body (NDJSON): entry by entry, answered as a batch-response.</summary>
    public Task<FhirPushResult> ImportNdjsonAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var document = FhirPushReader.ReadNdjson(body, Reader, options.MaxEntries);
        return document.ExceedsEntryLimit
            ? Task.FromResult(TooManyEntries(""))
            : EntryByEntryAsync(document, "ndjson", requireRequest: false, cancellationToken);
    }

    /// <summary>413 before anything is prepared or stored: each entry costs a response entry of a few hundred bytes
    /// and its parse, so a body of tiny entries would be answered about 100 times larger (review s12 #7).</summary>
    private FhirPushResult TooManyEntries(string path)
    {
        TooManyEntriesRefused(logger, options.MaxEntries);
        var issue = Issue.Error(FhirPushIssueCodes.TooManyEntries, path,
            $"more than {options.MaxEntries} entries (FhirPush:MaxEntries); nothing was stored; split the push");
        return new FhirPushResult(StatusCodes.Status413PayloadTooLarge, OperationOutcomeWriter.ToJson([issue]), []) { Issues = [issue] };
    }

    /// <summary><c>DELETE /fhir/Patient/{id}</c>: erases the patient from the store (docs/fhir-push.md "Erasure"). The
    /// answer and the log give counts only; a patient that is not stored is answered the same way, with zeros.</summary>
    public async Task<FhirPushResult> PurgePatientAsync(string patientId, CancellationToken cancellationToken)
    {
        if (!PushEntryPreparer.IsFhirId(patientId))
            return FhirPushResult.Invalid([Issue.Error(FhirPushIssueCodes.InvalidId, "Patient.id", "not a FHIR id ([A-Za-z0-9-.]{1,64})")]);
        store.EnsureReady();
        var removed = await store.Store.PurgePatientAsync(patientId, cancellationToken).ConfigureAwait(false);
        Purged(logger, removed.Linked, removed.Unlinked);
        var note = new Issue(FhirPushIssueCodes.Purged, IssueSeverity.Information, "Patient",
            $"removed {removed.Total} stored resources: {removed.Linked} of the patient's compartment, {removed.Unlinked} without a patient link that referenced it"
            + (removed.MergedChartsKept > 0
                ? $"; {removed.MergedChartsKept} chart(s) merged into this patient were kept and unlinked from it: erase them by their own ids if they are this person's"
                : ""));
        return new FhirPushResult(200, OperationOutcomeWriter.ToJson([note]), []);
    }

    private async Task<FhirPushResult> TransactionAsync(FhirPushDocument document, CancellationToken cancellationToken)
    {
        store.EnsureReady();
        var prepared = PushEntryPreparer.Prepare(document, requireRequest: true, _resources);
        var errors = prepared.Where(p => p.IsRejected).SelectMany(p => p.Issues).ToList();
        errors.AddRange(prepared.Where(p => !p.IsRejected)
            .GroupBy(p => (p.Resource!.ResourceType, p.Resource.Id))
            .Where(g => g.Count() > 1)
            .Select(g => Issue.Error(FhirPushIssueCodes.DuplicateEntry, g.Last().Entry.Location, "the transaction holds this resource (type and id) more than once")));
        if (errors.Count > 0)
        {
            errors.Add(Issue.Error(FhirPushIssueCodes.TransactionRolledBack, "Bundle", "nothing was stored: a transaction is all or nothing"));
            Pushed(logger, "transaction", prepared.Count, 0, 0, 0, 0, prepared.Count(p => p.IsRejected));
            return FhirPushResult.Invalid(errors);
        }
        var results = await store.Store.WriteAsync([.. prepared.Select(p => p.Resource!)], cancellationToken).ConfigureAwait(false);
        var outcomes = prepared.Select((p, i) => new EntryOutcome(p, results[i])).ToArray();
        return Answer("transaction", "transaction-response", outcomes);
    }

    private async Task<FhirPushResult> EntryByEntryAsync(FhirPushDocument document, string kind, bool requireRequest, CancellationToken cancellationToken)
    {
        store.EnsureReady();
        var prepared = PushEntryPreparer.Prepare(document, requireRequest, _resources);
        var outcomes = new EntryOutcome[prepared.Count];
        // The valid entries are written in runs, one transaction each, rather than one transaction an entry: a commit
        // syncs the log to disk (SQLite's synchronous = FULL), which cost an NDJSON import about 0.6 ms an entry. A run
        // ends before a resource it already holds (entries apply in order, so the later version is written after the
        // earlier one) and at MaxEntriesPerWrite. Entries stay independent in what they answer; a store that fails midway
        // fails the request, with the runs before it kept.
        var run = new List<int>();
        var keys = new HashSet<(string, string)>();
        for (var i = 0; i < prepared.Count; i++)
        {
            var entry = prepared[i];
            if (entry.IsRejected)
            {
                outcomes[i] = new EntryOutcome(entry, null);
                continue;
            }
            if (run.Count == MaxEntriesPerWrite || !keys.Add((entry.Resource!.ResourceType, entry.Resource.Id)))
            {
                await WriteRunAsync(prepared, run, outcomes, cancellationToken).ConfigureAwait(false);
                keys.Clear();
                keys.Add((entry.Resource!.ResourceType, entry.Resource.Id));
            }
            run.Add(i);
        }
        await WriteRunAsync(prepared, run, outcomes, cancellationToken).ConfigureAwait(false);
        return Answer(kind, "batch-response", outcomes);
    }

    /// <summary>Most entries of a batch or NDJSON import written in one transaction.</summary>
    internal const int MaxEntriesPerWrite = 500;

    /// <summary>Writes the entries at <paramref name="run"/> in one transaction, records their outcomes, and empties it.</summary>
    private async Task WriteRunAsync(IReadOnlyList<PreparedEntry> prepared, List<int> run, EntryOutcome[] outcomes, CancellationToken cancellationToken)
    {
        if (run.Count == 0)
            return;
        var written = await store.Store.WriteAsync([.. run.Select(i => prepared[i].Resource!)], cancellationToken).ConfigureAwait(false);
        for (var k = 0; k < run.Count; k++)
            outcomes[run[k]] = new EntryOutcome(prepared[run[k]], written[k]);
        run.Clear();
    }

    private FhirPushResult Answer(string kind, string responseType, EntryOutcome[] outcomes)
    {
        int Count(TimelineWriteKind k) => outcomes.Count(o => o.Result?.Kind == k);
        Pushed(logger, kind, outcomes.Length, Count(TimelineWriteKind.Created), Count(TimelineWriteKind.Updated),
            Count(TimelineWriteKind.Unchanged), Count(TimelineWriteKind.Outdated), outcomes.Count(o => o.Result is null));
        return new FhirPushResult(200, null, outcomes) { ResponseBundleType = responseType };
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Information,
        Message = "FHIR push ({Kind}): {Entries} entries, {Created} created, {Updated} updated, {Unchanged} unchanged, {Outdated} outdated (a newer version kept), {Rejected} rejected")]
    private static partial void Pushed(ILogger logger, string kind, int entries, int created, int updated, int unchanged, int outdated, int rejected);

    [LoggerMessage(EventId = 316, Level = LogLevel.Warning, Message = "FHIR push refused: more than {MaxEntries} entries (FhirPush:MaxEntries)")]
    private static partial void TooManyEntriesRefused(ILogger logger, int maxEntries);

    [LoggerMessage(EventId = 312, Level = LogLevel.Information,
        Message = "Patient purged from the timeline store: {Linked} resources of its compartment, {Unlinked} without a patient link")]
    private static partial void Purged(ILogger logger, int linked, int unlinked);

    [LoggerMessage(EventId = 311, Level = LogLevel.Error, Message = "FHIR push failed with {ExceptionType} (trace {TraceIdentifier})\n{StackTrace}")]
    public static partial void Failed(ILogger logger, string exceptionType, string traceIdentifier, string? stackTrace);
}

/// <summary>What became of one entry: written (<see cref="Result"/>) or rejected (its prepared issues say why).</summary>
internal sealed record EntryOutcome(PreparedEntry Prepared, TimelineWriteResult? Result)
{
    /// <summary>The entry's issues as its response states them: the prepared ones, and a note when nothing was written.</summary>
    public IReadOnlyList<Issue> Issues => Result?.Kind switch
    {
        TimelineWriteKind.Unchanged => [.. Prepared.Issues, new Issue(FhirPushIssueCodes.Unchanged, IssueSeverity.Information,
            Prepared.Entry.Location, "unchanged: the stored version has the same content")],
        TimelineWriteKind.Outdated => [.. Prepared.Issues, Issue.Warning(FhirPushIssueCodes.OutdatedVersion, Prepared.Entry.Location + ".meta",
            "not stored: the stored version is newer (meta.lastUpdated, else meta.versionId); it was kept")],
        _ => Prepared.Issues,
    };
}

/// <summary>The HTTP answer of a push: status, and either an OperationOutcome (<see cref="Json"/>) or the outcomes,
/// written as a response Bundle of <see cref="ResponseBundleType"/> straight to the response (PushResponseWriter).</summary>
internal sealed record FhirPushResult(int StatusCode, string? Json, IReadOnlyList<EntryOutcome> Outcomes)
{
    /// <summary><c>transaction-response</c> or <c>batch-response</c> when the answer is a response Bundle.</summary>
    public string? ResponseBundleType { get; init; }

    /// <summary>Why a rejected push was rejected: the issues of its OperationOutcome (empty when it was accepted).</summary>
    public IReadOnlyList<Issue> Issues { get; init; } = [];

    public static FhirPushResult Invalid(IEnumerable<Issue> issues)
    {
        var list = issues.ToList();
        return new(400, OperationOutcomeWriter.ToJson(list, FhirPushIssueCodes.IssueType), []) { Issues = list };
    }
}
