namespace FhirRisk.Tokenizer;

/// <summary>
/// One time-interval token (DESIGN §4, reference/ethos.md §1.3): a gap between two distinct timestamps of a timeline
/// is written as the token with the largest <see cref="LowerBound"/> not above it. The last token of a definition
/// list repeats: a gap of Δ ≥ its bound is written <c>round(Δ / bound)</c> times.
/// </summary>
/// <param name="Name">The token text, e.g. <c>5m-15m</c>.</param>
/// <param name="LowerBound">The shortest gap the token stands for; gaps shorter than the first token's bound get no token.</param>
public sealed record TimeIntervalToken(string Name, TimeSpan LowerBound)
{
    /// <summary>
    /// ETHOS-ARES' 19 interval tokens (<c>configs/tokenization.yaml::time_intervals_spec</c>): 5 min … 60 d, then
    /// <c>=6mt</c> (180 d) repeated.
    /// </summary>
    public static IReadOnlyList<TimeIntervalToken> Ethos { get; } =
    [
        new("5m-15m", TimeSpan.FromMinutes(5)),
        new("15m-45m", TimeSpan.FromMinutes(15)),
        new("45m-1h15m", TimeSpan.FromMinutes(45)),
        new("1h15m-2h", TimeSpan.FromMinutes(75)),
        new("2h-3h", TimeSpan.FromHours(2)),
        new("3h-5h", TimeSpan.FromHours(3)),
        new("5h-8h", TimeSpan.FromHours(5)),
        new("8h-12h", TimeSpan.FromHours(8)),
        new("12h-18h", TimeSpan.FromHours(12)),
        new("18h-1d", TimeSpan.FromHours(18)),
        new("1d-2d", TimeSpan.FromDays(1)),
        new("2d-4d", TimeSpan.FromDays(2)),
        new("4d-7d", TimeSpan.FromDays(4)),
        new("7d-12d", TimeSpan.FromDays(7)),
        new("12d-20d", TimeSpan.FromDays(12)),
        new("20d-30d", TimeSpan.FromDays(20)),
        new("30d-2mt", TimeSpan.FromDays(30)),
        new("2mt-6mt", TimeSpan.FromDays(60)),
        new("=6mt", TimeSpan.FromDays(180)),
    ];
}
