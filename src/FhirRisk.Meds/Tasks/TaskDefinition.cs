namespace FhirRisk.Meds.Tasks;

/// <summary>What a prediction point whose outcome stays unknown (time limit reached, timeline ended) counts as.</summary>
public enum UnresolvedOutcome
{
    /// <summary>Left out: ETHOS discards such rollouts for the in-stay tasks (ethos.md §3.2).</summary>
    Excluded,

    /// <summary>Negative: for the window tasks nothing happening within the window is the negative outcome.</summary>
    Negative,
}

/// <summary>
/// One prediction task as data (DESIGN §6; ethos.md §3.2 "start + stop tokens + horizon + positive predicate"). The
/// same definition gives labels from real timelines and, later, stops rollouts and names finetuning targets;
/// <see cref="TaskOutcomeTracker"/> is the one interpreter.
/// </summary>
/// <param name="Name">Stable snake_case name (label folder, CLI <c>--task</c>).</param>
/// <param name="Description">One line for people.</param>
/// <param name="Point">Where predictions are made.</param>
/// <param name="StopCodes">Codes that end the question, in priority order; the first one after the prediction time decides.</param>
/// <param name="PositiveCodes">Codes that decide it positive; they stop too. At equal times a positive code wins (ETHOS places death before discharge).</param>
/// <param name="TimeLimit">How long after the prediction time a stop still counts (inclusive).</param>
/// <param name="PositiveAfter">When set, reaching this elapsed time before any stop is positive (prolonged stay; inclusive).</param>
/// <param name="WhenUnresolved">What a point counts as when neither a stop nor <paramref name="PositiveAfter"/> comes within the limit or the timeline.</param>
public sealed record TaskDefinition(
    string Name,
    string Description,
    PredictionPoint Point,
    CodeSet StopCodes,
    CodeSet PositiveCodes,
    TimeSpan TimeLimit,
    TimeSpan? PositiveAfter,
    UnresolvedOutcome WhenUnresolved)
{
    /// <summary>True for a code that ends the question: a stop or a positive code.</summary>
    public bool Stops(string code) => PositiveCodes.Contains(code) || StopCodes.Contains(code);

    /// <summary>
    /// The same question asked <paramref name="spent"/> after its prediction point, later in the same stay (ARES's
    /// dynamic in-stay risk, ethos.md §3.4): the time limit and the "positive after" threshold count from the point, so
    /// both shrink by the time already spent, to zero at the least. A threshold already reached makes the outcome
    /// positive at the first event, so a stay already 10 days long is a prolonged stay with certainty.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="spent"/> is negative.</exception>
    public TaskDefinition After(TimeSpan spent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spent, TimeSpan.Zero);
        if (spent == TimeSpan.Zero)
            return this;
        return this with
        {
            TimeLimit = Shrink(TimeLimit, spent),
            PositiveAfter = PositiveAfter is { } threshold ? Shrink(threshold, spent) : null,
        };
    }

    private static TimeSpan Shrink(TimeSpan span, TimeSpan spent) => span > spent ? span - spent : TimeSpan.Zero;
}
