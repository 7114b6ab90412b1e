namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// A map of at most <see cref="Capacity"/> entries that drops the least recently used one to make room. Thread-safe
/// behind one lock: it is asked once per prefetch key, so a lock costs nothing next to the HTTP call that follows.
/// </summary>
internal sealed class LeastRecentlyUsedCache<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _entries;
    private readonly LinkedList<(TKey Key, TValue Value)> _byUse = new(); // most recently used first
    private readonly Lock _lock = new();

    public LeastRecentlyUsedCache(int capacity, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _entries = new(comparer);
    }

    public int Capacity { get; }

    public int Count
    {
        get
        {
            lock (_lock)
                return _entries.Count;
        }
    }

    /// <summary>The value of <paramref name="key"/>, made by <paramref name="create"/> (under the lock, so once) when
    /// absent; either way it becomes the most recently used entry.</summary>
    public TValue GetOrAdd(TKey key, Func<TKey, TValue> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _byUse.Remove(node);
                _byUse.AddFirst(node);
                return node.Value.Value;
            }
            if (_entries.Count == Capacity)
            {
                _entries.Remove(_byUse.Last!.Value.Key);
                _byUse.RemoveLast();
            }
            var added = _byUse.AddFirst((key, create(key)));
            _entries.Add(key, added);
            return added.Value.Value;
        }
    }

    public bool ContainsKey(TKey key)
    {
        lock (_lock)
            return _entries.ContainsKey(key);
    }
}
