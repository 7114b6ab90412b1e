using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using FhirRisk.Core;

namespace FhirRisk.Server.CdsHooks;

/// <summary>One piece of feedback as kept (spec "Feedback"): which card, what the clinician did, when.</summary>
/// <param name="ServiceId">The CDS Service the feedback was posted to.</param>
/// <param name="Card">The card's <c>uuid</c>.</param>
/// <param name="Outcome"><c>accepted</c> or <c>overridden</c>.</param>
/// <param name="AcceptedSuggestions">Ids of the suggestions accepted (empty when none).</param>
/// <param name="OverrideReasonSystem">The override reason Coding's system, if given.</param>
/// <param name="OverrideReasonCode">Its code.</param>
/// <param name="OverrideReasonDisplay">Its display.</param>
/// <param name="UserComment">The clinician's free-text comment (may hold clinical detail: the store is as sensitive as the EHR).</param>
/// <param name="OutcomeTimestamp">When the clinician acted (UTC).</param>
/// <param name="ReceivedAt">When the service received it (UTC).</param>
/// <param name="Issuer">The authenticated client that sent it (its token's <c>iss</c>); null without authentication
/// (LocalDemo) and in lines written before 2026-12-07.</param>
/// <param name="Tenant">Its token's <c>tenant</c>, when it had one.</param>
/// <param name="Issued">Whether <paramref name="Card"/> is a card uuid this service issued, for this service and to this
/// client (<see cref="CardUuids"/>); null in lines written before 2026-12-07. Feedback on other uuids is kept too,
/// marked false.</param>
internal sealed record StoredFeedback(
    string ServiceId,
    string Card,
    string Outcome,
    IReadOnlyList<string> AcceptedSuggestions,
    string? OverrideReasonSystem,
    string? OverrideReasonCode,
    string? OverrideReasonDisplay,
    string? UserComment,
    DateTimeOffset OutcomeTimestamp,
    DateTimeOffset ReceivedAt,
    string? Issuer = null,
    string? Tenant = null,
    bool? Issued = null)
{
    /// <summary>The same feedback sent again (the spec allows repeats) by the same client has the same key; another
    /// client's feedback on the same card uuid is its own.</summary>
    public string Key => $"{Issuer}\n{Tenant}\n{ServiceId}\n{Card}\n{Outcome}\n{OutcomeTimestamp.UtcTicks}";
}

/// <summary>Where CDS Hooks feedback is kept.</summary>
internal interface IFeedbackStore
{
    /// <summary>Stores each item not already stored (idempotent on client, service, card, outcome and timestamp, among the
    /// <see cref="InMemoryFeedbackStore.MaxKeptKeys"/> most recent); returns how many were new.</summary>
    Task<int> AddAsync(IReadOnlyList<StoredFeedback> feedback, CancellationToken cancellationToken);

    /// <summary>The most recent items stored (up to <see cref="InMemoryFeedbackStore.MaxKeptItems"/>), oldest first.</summary>
    IReadOnlyList<StoredFeedback> All();
}

/// <summary>Feedback in memory only (lost on restart): the default when no <c>CdsHooks:FeedbackPath</c> is set.</summary>
internal class InMemoryFeedbackStore : IFeedbackStore
{
    /// <summary>Items kept in memory, the most recent (security review s12 #10: nothing was ever let go); the JSON Lines
    /// file keeps every item.</summary>
    internal const int MaxKeptItems = 10_000;

    /// <summary>Keys remembered to make repeats idempotent, the most recent: a repeat of an older item is kept again. All
    /// were kept, so a client varying the card or the timestamp grew the heap without limit, and the file's keys were all
    /// loaded at start (review s24-cds L5). A key is at most about 1 KB (a card id of 256 characters).</summary>
    internal const int MaxKeptKeys = 100_000;

    private readonly ConcurrentDictionary<string, byte> _keys = new(StringComparer.Ordinal);
    private readonly Queue<string> _keyOrder = new();
    private readonly Lock _keyGate = new();
    private readonly ConcurrentQueue<StoredFeedback> _items = new();

    public virtual Task<int> AddAsync(IReadOnlyList<StoredFeedback> feedback, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        return Task.FromResult(AddNew(feedback).Count);
    }

    public IReadOnlyList<StoredFeedback> All() => [.. _items];

    /// <summary>Records the items not seen before and returns them.</summary>
    protected List<StoredFeedback> AddNew(IEnumerable<StoredFeedback> feedback)
    {
        var added = NotSeen(feedback);
        Remember(added);
        return added;
    }

    /// <summary>The items (first of each key) not stored yet.</summary>
    protected List<StoredFeedback> NotSeen(IEnumerable<StoredFeedback> feedback) =>
        [.. feedback.DistinctBy(f => f.Key).Where(f => !_keys.ContainsKey(f.Key))];

    protected void Remember(IEnumerable<StoredFeedback> feedback)
    {
        foreach (var item in feedback)
        {
            lock (_keyGate)
            {
                if (!_keys.TryAdd(item.Key, 0))
                    continue;
                _keyOrder.Enqueue(item.Key);
                while (_keyOrder.Count > MaxKeptKeys)
                    _keys.TryRemove(_keyOrder.Dequeue(), out _);
            }
            _items.Enqueue(item);
            while (_items.Count > MaxKeptItems)
                _items.TryDequeue(out _);
        }
    }
}

/// <summary>
/// Feedback appended to a JSON Lines file (one <see cref="StoredFeedback"/> per line, flushed before the call is
/// answered) and mirrored in memory; the file is read back at start so repeats stay idempotent across restarts.
/// Its own file: it shares nothing with the patient timeline store.
/// </summary>
internal sealed class JsonlFeedbackStore : InMemoryFeedbackStore, IDisposable
{
    private readonly string _path;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public JsonlFeedbackStore(string path)
    {
        _path = Path.GetFullPath(path);
        // Clinicians' comments and override reasons: owner-only when created (file 0600, folder 0700).
        OwnerOnlyFiles.CreateFolder(Path.GetDirectoryName(_path)!);
        // Line by line: the file only grows, and holding it whole at start (comments of up to 8 KB each) undid the bound
        // on the keys kept (review s25 L3).
        if (File.Exists(_path))
        {
            foreach (var line in File.ReadLines(_path))
            {
                if (line.Length > 0)
                    Remember([Parse(line)]);
            }
        }
    }

    public override async Task<int> AddAsync(IReadOnlyList<StoredFeedback> feedback, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var added = NotSeen(feedback);
            if (added.Count == 0)
                return 0;
            var lines = new StringBuilder();
            foreach (var item in added)
                lines.Append(JsonSerializer.Serialize(item, CdsHooksJsonContext.Default.StoredFeedback)).Append('\n');
            var stream = new FileStream(_path, OwnerOnlyFiles.Options(FileMode.Append, options: FileOptions.Asynchronous));
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(lines.ToString()), CancellationToken.None).ConfigureAwait(false);
                await stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            Remember(added); // only once on disk, so a failed write can be retried by the client
            return added.Count;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private static StoredFeedback Parse(string line) =>
        JsonSerializer.Deserialize(line, CdsHooksJsonContext.Default.StoredFeedback)
        ?? throw new InvalidDataException("a feedback line holds null");
}
