namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>A clock tests set by hand. Only "now" is faked: timers and timestamps stay real, so timeouts still fire.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    private long _ticks = now.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Set(DateTimeOffset now) => Interlocked.Exchange(ref _ticks, now.UtcTicks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
