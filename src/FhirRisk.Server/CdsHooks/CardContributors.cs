using FhirRisk.Inference.Prediction;
using FhirRisk.Server.Patients;

namespace FhirRisk.Server.CdsHooks;

/// <summary>One event that moved a risk: a readable label (no identifiers) and its signed effect on the probability
/// (e.g. +0.041 = 4.1 percentage points higher because of it); <paramref name="Facts"/> events when several read alike
/// (<see cref="FhirRisk.Inference.Explanations.RiskContributor.Facts"/>).</summary>
internal sealed record CardContributor(string Label, double Delta, int Facts = 1)
{
    /// <summary>Set when the explanation measured only the stay's events from this time on: the earlier ones were left
    /// out by the explainer's fact budget (its last 16 facts), so they are absent from the card, not unimportant.</summary>
    public DateTime? ExplainedSince { get; init; }
}

/// <summary>
/// The seam for "top contributing events" on cards: the server registers <see cref="ExplainedCardContributors"/>; without
/// a source, <see cref="NoCardContributors"/> answers none and cards simply leave the section out (never made-up numbers).
/// </summary>
internal interface ICardContributorSource
{
    /// <summary>
    /// For each of <paramref name="risks"/> (answered for <paramref name="request"/>, one hook call), the events that
    /// contributed most to it, largest |delta| first; a list may be empty, and may be longer than a card shows (the card
    /// merges rows of one label, then keeps the largest). The result lines up with
    /// <paramref name="risks"/>. Whatever a source shares between the risks lives only as long as this call.
    /// </summary>
    Task<IReadOnlyList<IReadOnlyList<CardContributor>>> GetContributorsAsync(PatientRiskRequest request, IReadOnlyList<TaskRisk> risks,
        CancellationToken cancellationToken);
}

/// <summary>No explanations: cards carry no contributor section.</summary>
internal sealed class NoCardContributors : ICardContributorSource
{
    public Task<IReadOnlyList<IReadOnlyList<CardContributor>>> GetContributorsAsync(PatientRiskRequest request, IReadOnlyList<TaskRisk> risks,
        CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<IReadOnlyList<CardContributor>>>([.. risks.Select(_ => (IReadOnlyList<CardContributor>)[])]);
}
