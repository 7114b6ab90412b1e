namespace FhirRisk.Meds;

/// <summary>All events of one subject as stored in one shard: static rows first, then by time (MEDS v0.4).</summary>
/// <param name="SubjectId">The subject.</param>
/// <param name="Split">The split folder the subject was read from (<c>train</c>, <c>tuning</c>, <c>held_out</c>, …).</param>
/// <param name="Events">The subject's events in stored order.</param>
public sealed record MedsSubject(long SubjectId, string Split, IReadOnlyList<MedsEvent> Events);
