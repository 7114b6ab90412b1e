using FhirRisk.Inference.Prediction;
using FhirRisk.Server.Patients;

namespace FhirRisk.Server.CdsHooks;

/// <summary>One event that moved a risk: a readable label (no identifiers) and its signed effect on the probability
/// (e.g. +0.041 = 4.1 percentage points higher because of it).</summary>
internal sealed record CardContributor(string Label, double Delta);

/// <summary>What a contributor source is asked: the prediction request a card came from and the risk it shows.</summary>
internal sealed record CardContributorQuery(PatientRiskRequest Request, TaskRisk Risk);

/// <summary>
/// The seam for "top contributing events" on cards. The explanation API lives elsewhere; until it is wired here the
/// default <see cref="NoCardContributors"/> answers none and cards simply leave the section out (never made-up numbers).
/// </summary>
internal interface ICardContributorSource
{
    /// <summary>The events that contributed most to <see cref="CardContributorQuery.Risk"/>, largest |delta| first; may be empty.</summary>
    Task<IReadOnlyList<CardContributor>> GetContributorsAsync(CardContributorQuery query, CancellationToken cancellationToken);
}

/// <summary>No explanations: cards carry no contributor section.</summary>
internal sealed class NoCardContributors : ICardContributorSource
{
    public Task<IReadOnlyList<CardContributor>> GetContributorsAsync(CardContributorQuery query, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CardContributor>>([]);
}
