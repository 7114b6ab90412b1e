namespace FhirRisk.Inference.Prediction;

/// <summary>
/// One API for both ways FhirRisk answers a risk question (DESIGN intro): zero-shot rollouts and finetuned heads.
/// Hosts (CDS Hooks, gRPC) depend on this, not on either method.
/// </summary>
public interface IRiskPredictor
{
    /// <summary>How this predictor answers.</summary>
    RiskMethod Method { get; }

    /// <summary>The task names it can answer.</summary>
    IReadOnlyList<string> Tasks { get; }

    /// <summary>One risk per task of <paramref name="query"/>, in its order. The query's timeline is read before the
    /// first await, so the caller may reuse it once the task is returned.</summary>
    /// <exception cref="InferenceException">A task it cannot answer (<see cref="InferenceErrorCodes.UnknownTask"/>).</exception>
    Task<IReadOnlyList<TaskRisk>> PredictAsync(RiskQuery query, CancellationToken cancellationToken = default);
}
