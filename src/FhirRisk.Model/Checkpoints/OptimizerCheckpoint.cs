namespace FhirRisk.Model.Checkpoints;

/// <summary>
/// What an exact resume needs besides the parameters: AdamW's moments, the step that drives its bias correction and
/// learning-rate schedule, and the position of the counter-based RNG (a pure function of seed and counter, so these
/// two numbers are its whole state). Saving reads the moment views; loading fills them.
/// </summary>
/// <param name="FirstMoments">AdamW m (PyTorch <c>exp_avg</c>), one view per parameter, named as the parameter.</param>
/// <param name="SecondMoments">AdamW v (PyTorch <c>exp_avg_sq</c>), named likewise.</param>
public sealed record OptimizerCheckpoint(IReadOnlyList<NamedTensor> FirstMoments, IReadOnlyList<NamedTensor> SecondMoments);

/// <summary>The scalars of training progress, stored as <c>__metadata__</c> strings of <c>optimizer.safetensors</c>.</summary>
/// <param name="Step">Optimizer steps taken; the next step is <c>Step + 1</c>.</param>
/// <param name="RngSeed">Seed of the counter-based RNG (dropout, sampling).</param>
/// <param name="RngCounter">Next unused RNG stream (e.g. dropout calls so far).</param>
public sealed record TrainingProgress(long Step, ulong RngSeed, ulong RngCounter);
