namespace FhirRisk.Inference.Prediction;

/// <summary>Which part of the record settled an observed outcome (<see cref="ObservedSpan"/>).</summary>
public enum ObservedStay
{
    /// <summary>The stay the patient is in at the prediction point; <see cref="ObservedSpan.From"/> is its start.</summary>
    Open,

    /// <summary>A stay that has ended (in death) before the prediction point; <see cref="ObservedSpan.From"/> is its start.</summary>
    Ended,

    /// <summary>The time after a stay's end, which a stay-end task (readmission, ED re-attendance) asks about;
    /// <see cref="ObservedSpan.From"/> is that end (the discharge, the ED departure).</summary>
    After,
}

/// <summary>
/// Where in the record an outcome already there was read (<see cref="TaskRisk.ObservedIn"/>), so that a reader can say
/// which stay and when rather than assume the open one: a readmission settled after a discharge years before the
/// prediction time is no part of "this stay".
/// </summary>
/// <param name="From">When the task's question began (UTC): the start of the stay, or for <see cref="ObservedStay.After"/> its end.</param>
/// <param name="Stay">Which part of the record it is.</param>
public sealed record ObservedSpan(DateTime From, ObservedStay Stay);
