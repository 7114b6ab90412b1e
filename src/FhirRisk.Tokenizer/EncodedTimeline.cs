namespace FhirRisk.Tokenizer;

/// <summary>
/// One subject's timeline tokens and each token's time (microseconds since 1970): an interval token carries the time of
/// the events it leads to, so a token's time is when what it says became known. Reusable: pass it back to
/// <see cref="TimelineTokenizer.Encode(IReadOnlyList{FhirRisk.Meds.MedsEvent}, EncodedTimeline)"/> to encode the next
/// subject without new arrays.
/// </summary>
public sealed class EncodedTimeline
{
    private int[] _tokens = new int[256];
    private long[] _times = new long[256];

    internal EncodedTimeline(int staticFields)
    {
        Statics = new SubjectStatics(staticFields);
    }

    public long SubjectId { get; internal set; }

    /// <summary>Where encoding puts the events of one timestamp in <see cref="TieOrder.Canonical"/> order.</summary>
    internal List<TieEntry> TieScratch { get; } = [];

    public int Count { get; private set; }

    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Count);

    public ReadOnlySpan<long> Times => _times.AsSpan(0, Count);

    /// <summary>Whether the last token is <c>TIMELINE_END</c>.</summary>
    public bool Ended { get; private set; }

    /// <summary>The facts the static prefix is built from.</summary>
    public SubjectStatics Statics { get; }

    /// <summary>The subject's timeline events by how much of their codes the vocabulary knows.</summary>
    public CodeCoverageCounts Coverage { get; private set; }

    /// <summary>
    /// The index of the last token at or before <paramref name="timeMicros"/> — the prediction point for a prediction
    /// time, which sees every event of that timestamp — or -1 when the timeline starts later. Never the final
    /// <c>TIMELINE_END</c>: that the history ends is not known at any time inside it.
    /// </summary>
    public int IndexAt(long timeMicros)
    {
        int low = 0, high = Count;
        var times = Times;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (times[middle] <= timeMicros)
                low = middle + 1;
            else
                high = middle;
        }
        return Ended && low == Count ? low - 2 : low - 1;
    }

    /// <summary><see cref="IndexAt(long)"/> for each prediction time.</summary>
    public int[] IndicesAt(IReadOnlyList<DateTime> predictionTimes)
    {
        ArgumentNullException.ThrowIfNull(predictionTimes);
        var indices = new int[predictionTimes.Count];
        for (var i = 0; i < indices.Length; i++)
            indices[i] = IndexAt(Internal.MicrosecondTime.From(predictionTimes[i]));
        return indices;
    }

    internal void Clear(long subjectId)
    {
        SubjectId = subjectId;
        Count = 0;
        Ended = false;
        Coverage = default;
        Statics.Clear();
    }

    internal void CountCode(CodeCoverage coverage) => Coverage = Coverage.With(coverage);

    internal void End(int token, long time)
    {
        Add(token, time);
        Ended = true;
    }

    internal void Add(int token, long time)
    {
        if (Count == _tokens.Length)
        {
            Array.Resize(ref _tokens, Count * 2);
            Array.Resize(ref _times, Count * 2);
        }
        _tokens[Count] = token;
        _times[Count] = time;
        Count++;
    }
}
