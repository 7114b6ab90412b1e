using FhirRisk.Meds;

namespace FhirRisk.Inference.Generation;

/// <summary>Why a sampled trajectory ended.</summary>
public enum TrajectoryEnd
{
    /// <summary>An event matched one of <see cref="TrajectorySettings.StopCodes"/> (it is the last event).</summary>
    StopCode,

    /// <summary>The clock passed <see cref="TrajectorySettings.Horizon"/>.</summary>
    Horizon,

    /// <summary><see cref="TrajectorySettings.MaxNewTokens"/> were generated.</summary>
    MaxTokens,

    /// <summary>The model ended the timeline (<c>TIMELINE_END</c>).</summary>
    TimelineEnd,
}

/// <summary>One sampled future, decoded to MEDS events.</summary>
/// <param name="Events">The generated events, after the prompt's last token (subject id 0).</param>
/// <param name="End">Why it ended.</param>
/// <param name="Tokens">Tokens generated.</param>
public sealed record GeneratedTrajectory(IReadOnlyList<MedsEvent> Events, TrajectoryEnd End, int Tokens);
