namespace FhirRisk.Meds.Tasks;

/// <summary>
/// One prediction point of one task with its outcome: a row of the per-stay evaluation table
/// (docs/formats/labels.md). Points left out of the MEDS labels keep a row here with a null label.
/// </summary>
/// <param name="SubjectId">The subject.</param>
/// <param name="Split">The subject's split (empty when the dataset names none).</param>
/// <param name="EncounterId">The <c>encounter_id</c> of the event that places the point, when the dataset has one.</param>
/// <param name="PredictionTime">The point's time; events up to and including it are context.</param>
/// <param name="StayStart">When the stay began, when its start is on the timeline.</param>
/// <param name="StayEnd">When the stay ended, when its end is on the timeline.</param>
/// <param name="Outcome">The settled outcome and label.</param>
public sealed record StayOutcome(
    long SubjectId,
    string Split,
    long? EncounterId,
    DateTime PredictionTime,
    DateTime? StayStart,
    DateTime? StayEnd,
    TaskOutcome Outcome)
{
    /// <summary>Stay end minus start; null when either is missing.</summary>
    public TimeSpan? LengthOfStay => StayEnd - StayStart;

    /// <summary>The MEDS label row, or null when the point is left out.</summary>
    public MedsLabel? ToMedsLabel() => Outcome.Label is { } label ? new MedsLabel(SubjectId, PredictionTime, label) : null;
}
