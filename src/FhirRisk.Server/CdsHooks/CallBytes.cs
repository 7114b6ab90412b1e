using System.Globalization;
using FhirRisk.Server.Http;

namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// The bytes that CDS Hooks calls in flight hold: their request bodies and the FHIR pages fetched for them, together at
/// most <c>CdsHooks:MaxBytesInFlight</c> (docs/cds-hooks.md "Limits"). The per-call limits (<c>MaxBodyBytes</c>,
/// <c>Fhir:MaxBytesPerCall</c>) bound one call; this bounds them all, so that a burst of large calls is refused with 503
/// instead of taking the process past its memory limit (security review s12 #9). A body's declared length is taken
/// whole before it is read (<see cref="CallBytes.ReserveBody"/>), so that of calls arriving together the first that fits
/// is read and the others are refused at once: counted only as their bytes came, ten 30 MiB uploads into a 38 MiB budget
/// each took a share and at times every one of them was refused (docs/cds-hooks.md "Limits"). A body without a declared
/// length (chunked) and fetched pages are counted as they arrive. A call needs 7–9 times its raw bytes of heap, parsed,
/// mapped and explained (measured in docs/cds-hooks.md "Limits"): the budget is a proxy for memory, sized with that
/// factor in mind (<see cref="CdsHooksOptions.PeakBytesPerRawByte"/>).
/// </summary>
internal sealed class BytesInFlight
{
    private readonly ThrottledWarning _warning;
    private readonly ILogger _logger;
    private long _inUse;
    private long _refused;

    public BytesInFlight(long capacity, TimeProvider time, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _warning = new ThrottledWarning(time);
        _logger = logger;
    }

    public long Capacity { get; }

    public long InUse => Interlocked.Read(ref _inUse);

    /// <summary>Calls refused because the budget was full.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>One call's account against this budget, with its own cap on fetched bytes.</summary>
    public CallBytes OpenCall(long maxFetchedBytes) => new(this, maxFetchedBytes);

    internal bool TryReserve(long bytes)
    {
        var inUse = Interlocked.Read(ref _inUse);
        while (true)
        {
            if (inUse + bytes > Capacity)
                return false;
            var seen = Interlocked.CompareExchange(ref _inUse, inUse + bytes, inUse);
            if (seen == inUse)
                return true;
            inUse = seen;
        }
    }

    internal void Release(long bytes) => Interlocked.Add(ref _inUse, -bytes);

    /// <param name="count">False for a further refusal within a call already refused: the call is counted once.</param>
    internal CallBytesExhaustedException Refuse(bool count = true)
    {
        if (count)
        {
            Interlocked.Increment(ref _refused);
            if (_warning.TryBegin(out var earlier))
                WorkLimitLog.BytesInFlightFull(_logger, Capacity, earlier + 1);
        }
        return new CallBytesExhaustedException(Capacity);
    }
}

/// <summary>
/// One hook call's bytes: its body and the FHIR pages fetched for it, all keys together (the keys are fetched in
/// parallel: every count is taken under one lock, a handful of times per page). Disposing it gives them back to
/// <see cref="BytesInFlight"/>; after that it takes nothing and gives nothing back, so a fetch still running when its call
/// ended cannot leak bytes nor release them twice.
/// </summary>
internal sealed class CallBytes : IDisposable
{
    private readonly BytesInFlight _pool;
    private readonly long _maxFetched;
    private readonly Lock _gate = new();
    private long _held;
    private long _fetched;
    private long _bodyReserved;
    private long _bodyTaken;
    private bool _disposed;
    private bool _refused;

    internal CallBytes(BytesInFlight pool, long maxFetched) => (_pool, _maxFetched) = (pool, maxFetched);

    /// <summary>Bytes the call holds now.</summary>
    public long Held
    {
        get
        {
            lock (_gate)
                return _held;
        }
    }

    /// <summary>Takes the request body's declared length (<c>Content-Length</c>) at once, before any of it is read; its
    /// bytes then count against it as they arrive (<see cref="TakeBody"/>). A body shorter than declared fails as HTTP
    /// and the call gives everything back when it ends.</summary>
    /// <exception cref="CallBytesExhaustedException">The calls in flight hold too much of the budget for it (503).</exception>
    public void ReserveBody(long declared)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(declared);
        lock (_gate)
        {
            if (_bodyTaken > 0 || _bodyReserved > 0)
                throw new InvalidOperationException("The body is reserved before any of it is counted, once.");
            Take(declared);
            _bodyReserved = declared;
        }
    }

    /// <summary>Counts bytes of the request body: within its reservation they are already held; beyond it (no declared
    /// length) they are taken from the budget.</summary>
    /// <exception cref="CallBytesExhaustedException">The calls in flight hold the whole budget (503).</exception>
    public void TakeBody(long bytes)
    {
        lock (_gate)
        {
            var beyond = Math.Max(0, _bodyTaken + bytes - Math.Max(_bodyReserved, _bodyTaken));
            if (beyond > 0)
                Take(beyond);
            _bodyTaken += bytes;
        }
    }

    /// <summary>Counts bytes of a fetched FHIR page; false, and nothing counted, when they would take the call's fetched
    /// bytes past <c>CdsHooks:Fhir:MaxBytesPerCall</c> (the key then fails as too large).</summary>
    /// <exception cref="CallBytesExhaustedException">The calls in flight hold the whole budget (503).</exception>
    public bool TryTakeFetched(long bytes)
    {
        lock (_gate)
        {
            if (_fetched + bytes > _maxFetched)
                return false;
            Take(bytes);
            _fetched += bytes;
            return true;
        }
    }

    /// <summary>Gives back bytes of fetched bodies that are not kept (their key failed, or their attempt did and is
    /// retried).</summary>
    public void ReturnFetched(long bytes)
    {
        lock (_gate)
        {
            if (_disposed || bytes <= 0)
                return;
            _fetched -= bytes;
            _held -= bytes;
            _pool.Release(bytes);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _pool.Release(_held);
            _held = 0;
        }
    }

    /// <summary>Under the lock. The first refusal of a call is counted (one call refused, however many of its keys
    /// asked); later ones only throw.</summary>
    private void Take(long bytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_pool.TryReserve(bytes))
        {
            var first = !_refused;
            _refused = true;
            throw _pool.Refuse(count: first);
        }
        _held += bytes;
    }
}

/// <summary>The CDS Hooks calls in flight hold <c>CdsHooks:MaxBytesInFlight</c>: this call is answered 503 with
/// <c>Retry-After</c>. The message holds no patient data.</summary>
internal sealed class CallBytesExhaustedException(long budget)
    : Exception(string.Create(CultureInfo.InvariantCulture,
        $"The CDS Hooks calls in flight hold the server's {budget}-byte budget for bodies and FHIR pages (CdsHooks:MaxBytesInFlight); retry after the Retry-After seconds."))
{
    public const string RetryAfterSeconds = "1";
}

/// <summary>The two bounds on CDS Hooks service calls together: how many run at once and the bytes they hold.</summary>
internal sealed class CdsCallLimits(WorkLimiter calls, BytesInFlight bytes)
{
    public WorkLimiter Calls { get; } = calls;

    public BytesInFlight Bytes { get; } = bytes;
}
