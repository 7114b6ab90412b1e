using FhirRisk.Inference.Explanations;
using FhirRisk.Inference.Generation;
using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Grpc.V1;
using FhirRisk.Meds;
using Duration = Google.Protobuf.WellKnownTypes.Duration;
using Estimator = FhirRisk.Grpc.V1.Estimator;
using Method = FhirRisk.Grpc.V1.Method;
using Timestamp = Google.Protobuf.WellKnownTypes.Timestamp;
using WireRisk = FhirRisk.Grpc.V1.Risk;

namespace FhirRisk.Server.Risk;

/// <summary>Inference's answers as RiskService messages (docs/grpc.md); nothing here reads patient identifiers.</summary>
internal static class RiskWire
{
    public static RiskMethod? MethodOf(Method method) => method switch
    {
        Method.Rollouts => RiskMethod.Rollouts,
        Method.Heads => RiskMethod.Heads,
        Method.Unspecified => null,
        _ => throw new Patients.PatientInputException($"Unknown method {(int)method}.", nameof(method)),
    };

    public static ModelInfo ModelOf(string version, bool headsStoppedEarly) =>
        new() { Name = version.Split('@')[0], Version = version, HeadsStoppedEarly = headsStoppedEarly };

    /// <param name="risk">One task's answer.</param>
    /// <param name="level">The coverage its interval was computed at.</param>
    public static WireRisk RiskOf(TaskRisk risk, double level) => new()
    {
        Task = risk.Task,
        Probability = risk.Risk,
        Method = WireMethod(risk.Method),
        N = (uint)risk.N,
        Latency = Duration.FromTimeSpan(risk.Latency),
        Interval = risk.Interval is { } interval ? new Interval { Lower = interval.Lower, Upper = interval.Upper, Level = level } : null,
        Estimator = risk.Estimator switch
        {
            RolloutEstimator.Count => Estimator.Count,
            RolloutEstimator.Hazard => Estimator.Hazard,
            _ => Estimator.Unspecified,
        },
        Recalibrated = risk.Recalibrated,
        Observed = risk.Observed is not null,
    };

    /// <summary>The explained risk, at the session's 95 % interval: the served answer the explanation carries (rollouts:
    /// <see cref="RiskExplanation.Answer"/>, what Predict gives), else the trajectory's last point (heads).</summary>
    public static WireRisk RiskOf(RiskExplanation explanation)
    {
        if (explanation.Answer is { } answer)
            return RiskOf(answer with { Latency = explanation.Cost.Latency }, 0.95);
        var last = explanation.Trajectory[^1];
        return RiskOf(new TaskRisk(explanation.Task, explanation.Risk, last.Interval, explanation.Method, last.N, explanation.Cost.Latency, last.Estimator,
            last.Recalibrated) { Observed = last.Observed }, 0.95);
    }

    /// <summary>
    /// A card contributor as a wire one. The event index is the position, in <paramref name="events"/> (the patient's
    /// time-sorted events), of the first event at the fact's time with the fact's code — or, when the tokenizer backed the
    /// code off to an ancestor, the first event at that time.
    /// </summary>
    public static Contributor ContributorOf(RiskContributor contributor, IReadOnlyList<MedsEvent> events)
    {
        var code = contributor.Codes.Count > 0 ? contributor.Codes[0] : "";
        var wire = new Contributor
        {
            Code = code,
            Time = TimestampOf(contributor.Time),
            Weight = contributor.Delta,
            WeightHalfWidth = contributor.HalfWidth ?? 0,
            Description = contributor.Label,
        };
        if (EventIndexOf(code, contributor.Time, events) is { } index)
            wire.EventIndex = (uint)index;
        return wire;
    }

    /// <summary>
    /// The first event at <paramref name="time"/> that is the fact: its code exactly, else a code the tokenizer backed off
    /// to it (its category: <c>ICD10CM//I50</c> for <c>ICD10CM//I50.91</c>, <c>DIAGNOSIS//ICD//10//I50</c> for
    /// <c>…//I509</c>), one that continues with a '.' or '/' first; null when none is (review s22 explain L4: the first event
    /// at that time, or the patient's first event, stood in, so an unknown code pointed at a known lab beside it and a
    /// moved date-only death at a static row).
    /// </summary>
    private static int? EventIndexOf(string code, DateTime time, IReadOnlyList<MedsEvent> events)
    {
        if (code.Length == 0)
            return null;
        (int? Separated, int? Any) backedOff = (null, null);
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].Time != time)
                continue;
            var own = events[i].Code;
            if (own == code)
                return i;
            if (own.Length > code.Length && own.StartsWith(code, StringComparison.Ordinal))
            {
                backedOff.Any ??= i;
                if (own[code.Length] is '.' or '/')
                    backedOff.Separated ??= i;
            }
        }
        return backedOff.Separated ?? backedOff.Any;
    }

    public static Trajectory TrajectoryOf(GeneratedTrajectory trajectory)
    {
        var wire = new Trajectory
        {
            Tokens = (uint)trajectory.Tokens,
            StopReason = trajectory.End switch
            {
                TrajectoryEnd.StopCode => StopReason.StopCode,
                TrajectoryEnd.Horizon => StopReason.Horizon,
                TrajectoryEnd.MaxTokens => StopReason.MaxTokens,
                _ => StopReason.TimelineEnd,
            },
        };
        wire.Events.AddRange(trajectory.Events.Select(EventOf));
        return wire;
    }

    private static Event EventOf(MedsEvent e)
    {
        var wire = new Event { Code = e.Code, Time = e.Time is { } time ? TimestampOf(time) : null };
        if (e.NumericValue is { } value)
            wire.NumericValue = value;
        if (e.TextValue is { } text)
            wire.TextValue = text;
        return wire;
    }

    private static Timestamp TimestampOf(DateTime time) => Timestamp.FromDateTime(DateTime.SpecifyKind(time, DateTimeKind.Utc));

    private static Method WireMethod(RiskMethod method) => method == RiskMethod.Heads ? Method.Heads : Method.Rollouts;
}
