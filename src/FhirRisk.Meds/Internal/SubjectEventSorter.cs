using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FhirRisk.Meds.Internal;

/// <summary>
/// Puts one subject's events in MEDS order: static (null-time) rows first, then by time; ties keep their input order
/// (a stable sort), so equal input gives equal shards. Buffers are reused across subjects.
/// </summary>
internal sealed class SubjectEventSorter
{
    private (long Key, int Index)[] _keys = new (long, int)[256];
    private MedsEvent[] _events = new MedsEvent[256];
    private long[] _times = new long[256];
    private MedsEvent[] _spare = [];

    public int Count { get; private set; }

    /// <summary>Sorted events of the last <see cref="Sort"/> call.</summary>
    public ReadOnlySpan<MedsEvent> Events => _events.AsSpan(0, Count);

    /// <summary>Times of <see cref="Events"/> in MEDS microseconds (undefined for static rows).</summary>
    public ReadOnlySpan<long> TimeMicros => _times.AsSpan(0, Count);

    public void Sort(IEnumerable<MedsEvent> events)
    {
        Count = 0;
        // Lists and arrays (every caller in this repository) are copied as spans: no enumerator calls per event.
        if (events is List<MedsEvent> list)
            AddAll(CollectionsMarshal.AsSpan(list));
        else if (events is MedsEvent[] array)
            AddAll(array);
        else
        {
            foreach (var ev in events)
                Add(ev);
        }
        if (IsSorted())
        {
            for (var i = 0; i < Count; i++)
                _times[i] = _keys[i].Key;
            return;
        }
        // The index in each key makes the unstable introsort stable.
        _keys.AsSpan(0, Count).Sort();
        if (_spare.Length < _events.Length)
            _spare = new MedsEvent[_events.Length];
        for (var i = 0; i < Count; i++)
        {
            _spare[i] = _events[_keys[i].Index];
            _times[i] = _keys[i].Key;
        }
        (_events, _spare) = (_spare, _events);
    }

    // Skips tiering for the reason given at EventColumnBuffer.AddRange (every event, once per process).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddAll(ReadOnlySpan<MedsEvent> events)
    {
        while (_keys.Length < events.Length)
            Grow();
        foreach (ref readonly var ev in events)
            Add(ev);
    }

    private void Add(in MedsEvent ev)
    {
        if (Count == _keys.Length)
            Grow();
        // Static rows sort first: no real time maps to long.MinValue (DateTime.MinValue is ~-6.2e16 µs).
        _keys[Count] = (ev.Time is { } time ? MedsTime.ToMicroseconds(time) : long.MinValue, Count);
        _events[Count] = ev;
        Count++;
    }

    private bool IsSorted()
    {
        for (var i = 1; i < Count; i++)
        {
            if (_keys[i].Key < _keys[i - 1].Key)
                return false;
        }
        return true;
    }

    private void Grow()
    {
        var size = _keys.Length * 2;
        Array.Resize(ref _keys, size);
        Array.Resize(ref _events, size);
        Array.Resize(ref _times, size);
    }
}
