namespace FhirRisk.Tokenizer;

/// <summary>
/// The context of a prompted sequence (docs/finetuning.md "Sequence layout"): the static prefix rebuilt at the window's
/// first token (as pretraining windows, <see cref="TimelineTokenizer.PrefixAt(SubjectStatics, long)"/>) followed by the
/// last timeline tokens up to and including the prediction point, then, when the heads ask for one, a history block of
/// the diagnosis categories charted so far (<see cref="HistoryBlock"/>). It holds at most T − K ids; the K task tokens
/// come after it, so context and prompt together fit the model's T positions. Shared by finetuning and inference so both
/// see the same ids.
/// </summary>
public static class PromptedContext
{
    /// <summary>The index of the prediction point: the last token at or before <paramref name="timeMicros"/>, never a
    /// final <c>TIMELINE_END</c> (<see cref="EncodedTimeline.IndexAt"/>'s rule over a stored timeline); −1 when the
    /// timeline starts later.</summary>
    public static int IndexAt(ReadOnlySpan<int> tokens, ReadOnlySpan<long> times, long timeMicros, int timelineEndId)
    {
        int low = 0, high = times.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (times[middle] <= timeMicros)
                low = middle + 1;
            else
                high = middle;
        }
        var ended = tokens.Length > 0 && tokens[^1] == timelineEndId;
        return ended && low == tokens.Length ? low - 2 : low - 1;
    }

    /// <summary>The context ending at timeline token <paramref name="index"/>.</summary>
    /// <param name="tokenizer">Builds the static prefix.</param>
    /// <param name="tokens">The subject's timeline.</param>
    /// <param name="times">Each token's time.</param>
    /// <param name="statics">The subject's static facts.</param>
    /// <param name="index">The prediction point (≥ 0).</param>
    /// <param name="maxLength">T − K, the most ids the context may hold.</param>
    /// <param name="historyCodes">H, the most category tokens of the history block written after the timeline (0: none;
    /// see <see cref="HistoryBlock"/>). The block's ids come out of the timeline's share, so the context still holds at
    /// most <paramref name="maxLength"/> ids.</param>
    public static int[] Build(TimelineTokenizer tokenizer, ReadOnlySpan<int> tokens, ReadOnlySpan<long> times, SubjectStatics statics, int index, int maxLength,
        int historyCodes = 0) =>
        Build(tokenizer, tokens, times, statics, index, maxLength, historyCodes, out _);

    /// <inheritdoc cref="Build(TimelineTokenizer, ReadOnlySpan{int}, ReadOnlySpan{long}, SubjectStatics, int, int, int)"/>
    /// <param name="historyLength">The ids of the history block at the context's end (the timeline ends before them).</param>
    public static int[] Build(TimelineTokenizer tokenizer, ReadOnlySpan<int> tokens, ReadOnlySpan<long> times, SubjectStatics statics, int index, int maxLength,
        int historyCodes, out int historyLength)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, tokens.Length);
        ArgumentOutOfRangeException.ThrowIfNegative(historyCodes);
        var prefix = tokenizer.PrefixLength;
        if (TimelineRoom(tokenizer, maxLength, historyCodes) < 1)
            throw new ArgumentOutOfRangeException(nameof(maxLength), historyCodes == 0
                ? $"A context of {maxLength} ids leaves no room after the {prefix}-token static prefix."
                : $"A context of {maxLength} ids leaves no room for the timeline after the {prefix}-token static prefix and a history block of up to {historyCodes} ids.");
        var block = historyCodes == 0 ? [] : HistoryBlock(tokenizer, tokens[..(index + 1)], historyCodes);
        var start = Math.Max(0, index + 1 - (maxLength - prefix - block.Length));
        var context = new int[prefix + index + 1 - start + block.Length];
        tokenizer.PrefixAt(statics, times[start], context.AsSpan(0, prefix));
        tokens[start..(index + 1)].CopyTo(context.AsSpan(prefix));
        block.CopyTo(context.AsSpan(context.Length - block.Length));
        historyLength = block.Length;
        return context;
    }

    /// <summary>The timeline ids a context of <paramref name="maxLength"/> ids keeps at least, after the static prefix and a
    /// full history block of <paramref name="historyCodes"/>; below 1 the layout cannot be built.</summary>
    public static int TimelineRoom(TimelineTokenizer tokenizer, int maxLength, int historyCodes)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return maxLength - tokenizer.PrefixLength - historyCodes;
    }

    /// <summary>
    /// The history block (docs/finetuning.md "Sequence layout"): the distinct diagnosis categories
    /// (<see cref="TimelineTokenizer.IsCategory"/>) charted anywhere in <paramref name="history"/>, at most
    /// <paramref name="limit"/> of them — those charted most recently when there are more — in the order of their last
    /// mention, so the most recent sits next to the task tokens. It lets the heads read a diagnosis charted long before the
    /// recent window, which a short context otherwise drops.
    /// </summary>
    public static int[] HistoryBlock(TimelineTokenizer tokenizer, ReadOnlySpan<int> history, int limit)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var block = new List<int>(limit);
        for (var i = history.Length - 1; i >= 0 && block.Count < limit; i--)
        {
            var id = history[i];
            if (tokenizer.IsCategory(id) && !block.Contains(id))
                block.Add(id);
        }
        block.Reverse();
        return [.. block];
    }
}
