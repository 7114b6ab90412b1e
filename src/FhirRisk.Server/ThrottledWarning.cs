namespace FhirRisk.Server;

/// <summary>
/// A warning written at most once a minute: a burst of refusals or failures is one line that counts the occurrences it
/// stands for, not a line per request. The caller writes the line itself, with what it knows of the occurrence at hand.
/// </summary>
internal sealed class ThrottledWarning(TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly Lock _lock = new();
    private DateTimeOffset _next = DateTimeOffset.MinValue;
    private long _held;

    /// <summary>Counts one occurrence; true when its line is due, with <paramref name="earlier"/> the occurrences held
    /// back since the last line (not this one).</summary>
    public bool TryBegin(out long earlier)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (now < _next)
            {
                _held++;
                earlier = 0;
                return false;
            }
            (earlier, _held, _next) = (_held, 0, now + Interval);
            return true;
        }
    }
}
