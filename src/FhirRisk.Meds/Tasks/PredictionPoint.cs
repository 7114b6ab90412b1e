namespace FhirRisk.Meds.Tasks;

/// <summary>Whether a prediction point sits where its stay starts or where it ends.</summary>
public enum StayBoundary
{
    Start,
    End,
}

/// <summary>Which stays give a prediction point (ethos.md §3.2 "start of prompt").</summary>
public enum PointFilter
{
    /// <summary>Every stay.</summary>
    None,

    /// <summary>The subject is alive at the point: no death code at or before its time (readmission: "live discharge").</summary>
    Alive,

    /// <summary>
    /// The ED visit did not lead to a hospital admission: no <c>HOSPITAL_ADMISSION</c> from the registration to
    /// <see cref="PredictionPoint.AdmissionGrace"/> after ED_OUT. MIMIC-IV admits some patients minutes after ED_OUT,
    /// so ED_OUT itself is too early a cut (ETHOS uses the ED stay's hadm_id, which MEDS events need not carry).
    /// </summary>
    NotAdmitted,
}

/// <summary>
/// Where a task's predictions are made: at the start or end of each stay of one kind that passes a filter. The
/// prediction time is the time of that boundary event, and every event sharing that timestamp is context (the peers'
/// "last token at that time"; MEDS <c>prediction_time</c> is inclusive).
/// </summary>
/// <param name="Name">Short name shown in summaries.</param>
/// <param name="Stay">The stays that give points.</param>
/// <param name="At">Start or end of the stay.</param>
/// <param name="Filter">Which stays count.</param>
/// <param name="AdmissionGrace">For <see cref="PointFilter.NotAdmitted"/>: how long after the stay end an admission still counts as from that visit.</param>
public sealed record PredictionPoint(string Name, StayKind Stay, StayBoundary At, PointFilter Filter = PointFilter.None, TimeSpan AdmissionGrace = default)
{
    /// <summary>The code of the event that places the point.</summary>
    public string AnchorCode => At == StayBoundary.Start ? Stay.StartCode : Stay.EndCode;
}
