namespace FhirRisk.Tokenizer;

/// <summary>
/// The context of a prompted sequence (docs/finetuning.md "Sequence layout"): the static prefix rebuilt at the window's
/// first token (as pretraining windows, <see cref="TimelineTokenizer.PrefixAt(SubjectStatics, long)"/>) followed by the
/// last T − K − prefix timeline tokens up to and including the prediction point. The K task tokens come after it, so
/// context and prompt together fit the model's T positions. Shared by finetuning and inference so both see the same ids.
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
    public static int[] Build(TimelineTokenizer tokenizer, ReadOnlySpan<int> tokens, ReadOnlySpan<long> times, SubjectStatics statics, int index, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, tokens.Length);
        var prefix = tokenizer.PrefixLength;
        if (maxLength <= prefix)
            throw new ArgumentOutOfRangeException(nameof(maxLength), $"A context of {maxLength} ids leaves no room after the {prefix}-token static prefix.");
        var start = Math.Max(0, index + 1 - (maxLength - prefix));
        var context = new int[prefix + index + 1 - start];
        tokenizer.PrefixAt(statics, times[start], context.AsSpan(0, prefix));
        tokens[start..(index + 1)].CopyTo(context.AsSpan(prefix));
        return context;
    }
}
