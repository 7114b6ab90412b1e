using FhirRisk.Model.Compute;
using FhirRisk.Model.Gpt;

namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// Continuous batching of rollouts (docs/inference.md "Scheduler"): the rollouts of every queued request share one
/// decode step over the <see cref="KvCachePool"/>'s slots. Between steps, finished rollouts leave and waiting ones
/// join, so short and long rollouts of different requests never wait for each other. A step is ragged: a generating
/// rollout feeds its one new token, while a rollout that must read its window feeds all of it at once (the prefill,
/// up to the pool's <see cref="KvCachePool.RowsPerStep"/> over all slots; the rest the next step). Of the rollouts of
/// one request that start on the same prompt, one reads it and the others wait a step and copy its cache rows
/// (<see cref="GptDecoder.Fork"/>), feeding only the prompt's last token. When a window jumps (<see cref="ContextWindow"/>)
/// the slot re-reads it the same way.
/// </summary>
/// <remarks>
/// Requests are admitted first come, first served, one rollout per request in turn while slots are free, at most
/// <see cref="RolloutSettings.MaxInFlight"/> per request. Every result is independent of this packing: a rollout's
/// tokens depend only on its own window (each row of a step is computed on its own) and its own random stream, and a
/// request's count only on its rollouts in index order (<see cref="RolloutTally"/>). Not thread-safe: one caller
/// drives <see cref="Step"/>.
/// </remarks>
public sealed class RolloutScheduler : IDisposable
{
    private readonly KvCachePool _pool;
    private readonly TokenMeanings _meanings;
    private readonly int _prefixLength;
    private readonly int _slide;
    private readonly List<RolloutTicket> _queue = [];

    /// <summary>Where in <see cref="_queue"/> the next admission starts looking (<see cref="Admit"/>).</summary>
    private int _turn;
    private readonly RolloutSequence?[] _slots;
    private readonly RolloutTicket?[] _owners;
    private readonly int[] _stepSlots;
    private readonly int[] _stepCounts;
    private readonly int[] _stepTokens;
    private readonly HashSet<RolloutTicket> _readingPrompt = [];
    private readonly float[] _logits;
    private readonly ulong[] _scratch;

    /// <param name="parameters">The model (its vocabulary may hold task tokens above the tokenizer's; they are never sampled).</param>
    /// <param name="meanings">The tokenizer's ids as the judge reads them.</param>
    /// <param name="prefixLength">P, the static prefix every prompt starts with and every window keeps.</param>
    /// <param name="options">Memory cap, slot limit and window slide.</param>
    /// <param name="backend">Where the cache lives and the steps run; not owned.</param>
    public RolloutScheduler(GptParameters parameters, TokenMeanings meanings, int prefixLength, RolloutSchedulerOptions options, IComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(meanings);
        ArgumentNullException.ThrowIfNull(options);
        var config = parameters.Config;
        if (meanings.Count > config.VocabSize)
            throw new ArgumentException($"The tokenizer has {meanings.Count} ids but the model only {config.VocabSize}.", nameof(meanings));
        _meanings = meanings;
        _prefixLength = prefixLength;
        _slide = options.Slide ?? ContextWindow.DefaultSlide(prefixLength, config.ContextLength);
        _ = new ContextWindow(prefixLength, config.ContextLength, _slide); // validates the slide
        _pool = new KvCachePool(parameters, options.MemoryCapBytes, options.MaxSlots, backend, options.MaxRowsPerStep);
        _slots = new RolloutSequence?[_pool.Slots];
        _owners = new RolloutTicket?[_pool.Slots];
        _stepSlots = new int[_pool.Slots];
        _stepCounts = new int[_pool.Slots];
        _stepTokens = new int[_pool.RowsPerStep];
        _logits = new float[_pool.Slots * config.PaddedVocabSize];
        _scratch = new ulong[meanings.Count];
    }

    public KvCachePool Pool => _pool;

    /// <summary>Steps, rows, finished rollouts and slots in use, readable from any thread.</summary>
    public RolloutSchedulerCounters Counters { get; } = new();

    /// <summary>Decode steps run so far.</summary>
    public long Steps => Counters.Steps;

    /// <summary>Rows fed through the model so far (prefill and generation).</summary>
    public long RowsFed => Counters.RowsFed;

    /// <summary>True while a queued request is unanswered.</summary>
    public bool HasWork => _queue.Count > 0;

    /// <summary>Queues a request; <paramref name="completed"/> is called from <see cref="Step"/> when it is answered.</summary>
    public RolloutTicket Enqueue(RolloutRequest request, Action<RolloutTicket>? completed = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Settings.Validate();
        if (request.Tasks.Count == 0)
            throw new ArgumentException("A rollout request needs at least one task.", nameof(request));
        RolloutJudge.Validate(request.Tasks, request.Starts);
        if (request.Prompt.Length < Math.Max(1, _prefixLength))
            throw new ArgumentException($"A prompt holds the {_prefixLength}-token static prefix and at least one token (got {request.Prompt.Length}).", nameof(request));
        foreach (var token in request.Prompt)
        {
            if ((uint)token >= (uint)_meanings.Count)
                throw new ArgumentOutOfRangeException(nameof(request), $"Prompt token {token} is outside the tokenizer's {_meanings.Count} ids.");
        }
        var ticket = new RolloutTicket(request, completed);
        _queue.Add(ticket);
        return ticket;
    }

    /// <summary>Drops a queued request and frees its slots.</summary>
    public void Cancel(RolloutTicket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        if (!_queue.Remove(ticket))
            return;
        ticket.IsCancelled = true;
        Evict(ticket);
    }

    /// <summary>Runs steps until every queued request is answered.</summary>
    public void RunUntilIdle()
    {
        while (Step())
        {
        }
    }

    /// <summary>Admits waiting rollouts, runs one decode step over every busy slot and settles what it generated; false when idle.</summary>
    public bool Step()
    {
        Admit();
        var decoder = _pool.Decoder;
        _readingPrompt.Clear();
        var m = 0;
        for (var slot = 0; slot < _slots.Length; slot++)
        {
            if (_slots[slot] is not { } sequence)
                continue;
            var ticket = _owners[slot]!;
            if (sequence.InPromptWindow && decoder.Length(slot) < sequence.PromptWindowLength - 1)
            {
                // Still short of the prompt: copy what a sibling read since, else wait while one reads it this step.
                SharePrompt(ticket, sequence, slot);
                if (decoder.Length(slot) < sequence.PromptWindowLength - 1 && !_readingPrompt.Add(ticket))
                    continue;
            }
            _stepSlots[m] = slot;
            _stepCounts[m] = sequence.WindowLength - decoder.Length(slot);
            m++;
        }
        if (m == 0)
            return HasWork;

        // Every slot feeds one token; the rows left over go to window reads in slot order, the rest waiting a step.
        var spare = decoder.MaxRows - m;
        var n = 0;
        for (var i = 0; i < m; i++)
        {
            var extra = Math.Min(_stepCounts[i] - 1, spare);
            (_stepCounts[i], spare) = (1 + extra, spare - extra);
            var (slot, start) = (_stepSlots[i], decoder.Length(_stepSlots[i]));
            for (var j = 0; j < _stepCounts[i]; j++)
                _stepTokens[n++] = _slots[slot]!.WindowToken(start + j);
        }
        var vp = decoder.Config.PaddedVocabSize;
        decoder.Step(_stepSlots.AsSpan(0, m), _stepCounts.AsSpan(0, m), _stepTokens.AsSpan(0, n), _logits.AsSpan(0, m * vp));
        Counters.RecordStep(n);
        for (var row = 0; row < m; row++)
        {
            var slot = _stepSlots[row];
            if (_slots[slot] is not { } sequence || decoder.Length(slot) < sequence.WindowLength)
                continue; // dropped this step (its request was answered), or still reading its window
            var token = sequence.Sample(_logits.AsSpan(row * vp, vp), _scratch);
            if (sequence.Accept(token))
                Finish(slot, sequence);
            else if (sequence.WindowMoved)
                decoder.Reset(slot);
        }
        return true;
    }

    public void Dispose() => _pool.Dispose();

    /// <summary>
    /// Gives free slots to waiting rollouts one request at a time, starting after the request served last (<see
    /// cref="_turn"/>): starting from the oldest each time, a slot that frees alone went to the oldest request again, so a
    /// request of two rollouts waited out one of sixty (review s22 rollout L2). Which slot a rollout gets, and when, never
    /// changes what it generates (rollout i draws stream i), so the order is free to be fair.
    /// </summary>
    private void Admit()
    {
        var admitted = true;
        while (admitted && _pool.InUse < _pool.Slots)
        {
            admitted = false;
            var count = _queue.Count;
            for (var k = 0; k < count; k++)
            {
                var position = (_turn + k) % count;
                var ticket = _queue[position];
                var settings = ticket.Request.Settings;
                if (ticket.NextIndex >= (ticket.Tally.StopAt ?? settings.RolloutLimit) || ticket.InFlight.Count >= settings.MaxInFlight)
                    continue;
                var slot = _pool.Rent();
                if (slot < 0)
                    return;
                var sequence = new RolloutSequence(ticket.Request, ticket.NextIndex++, _prefixLength, _pool.Decoder.Config.ContextLength, _slide, _meanings);
                SharePrompt(ticket, sequence, slot);
                ticket.InFlight.Add(sequence);
                (_slots[slot], _owners[slot]) = (sequence, ticket);
                Counters.RecordSlotsInUse(_pool.InUse);
                admitted = true;
                _turn = position + 1;
            }
        }
    }

    /// <summary>Copies the prompt's cached rows from a sibling in the prompt window that holds more of them, up to the
    /// last prompt token (which is fed, so the step yields the logits of the first generated token).</summary>
    private void SharePrompt(RolloutTicket ticket, RolloutSequence sequence, int slot)
    {
        var best = (Slot: -1, Length: _pool.Decoder.Length(slot));
        foreach (var sibling in ticket.InFlight)
        {
            if (!sibling.InPromptWindow)
                continue;
            var siblingSlot = Array.IndexOf(_slots, sibling);
            var length = Math.Min(_pool.Decoder.Length(siblingSlot), sequence.PromptWindowLength - 1);
            if (length > best.Length)
                best = (siblingSlot, length);
        }
        if (best.Slot >= 0)
            _pool.Decoder.Fork(best.Slot, slot, best.Length);
    }

    private void Finish(int slot, RolloutSequence sequence)
    {
        var ticket = _owners[slot]!;
        ticket.InFlight.Remove(sequence);
        Release(slot);
        Counters.RecordFinishedRollout();
        if (!ticket.Tally.Add(sequence.Index, sequence.Judge.Outcomes, [.. sequence.Generated], sequence.TracksHazard ? sequence.Judge.Hazards : null))
        {
            // A pilot has decided the count: rollouts started past it will not be counted, so free their slots now.
            if (ticket.Tally.StopAt is { } stop && ticket.InFlight.Exists(s => s.Index >= stop))
                EvictFrom(ticket, stop);
            return;
        }
        // Rollouts past the count were speculative: drop them, so the answer never depends on which finished first.
        _queue.Remove(ticket);
        Evict(ticket);
        ticket.Complete();
    }

    private void EvictFrom(RolloutTicket ticket, int index)
    {
        foreach (var late in ticket.InFlight.Where(s => s.Index >= index).ToArray())
        {
            ticket.InFlight.Remove(late);
            Release(Array.IndexOf(_slots, late));
        }
    }

    private void Evict(RolloutTicket ticket)
    {
        foreach (var sequence in ticket.InFlight)
            Release(Array.IndexOf(_slots, sequence));
        ticket.InFlight.Clear();
    }

    private void Release(int slot)
    {
        (_slots[slot], _owners[slot]) = (null, null);
        _pool.Return(slot);
        Counters.RecordSlotsInUse(_pool.InUse);
    }
}
