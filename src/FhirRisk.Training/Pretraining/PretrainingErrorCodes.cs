namespace FhirRisk.Training.Pretraining;

/// <summary>Stable codes carried by <see cref="TrainingException.Code"/>; documented in docs/training.md.</summary>
public static class PretrainingErrorCodes
{
    /// <summary>The token folder has no manifest, no train shards, or no subject with a token to predict.</summary>
    public const string NoTrainingData = "TR001";
    /// <summary>Evaluation is on but the tuning split has no tokens.</summary>
    public const string NoTuningData = "TR002";
    /// <summary>The shards, the checkpoint or the model directory were made with another vocabulary than the tokenizer's.</summary>
    public const string TokenizerMismatch = "TR003";
    /// <summary>The checkpoint to resume from is missing a file, truncated, or inconsistent.</summary>
    public const string CorruptCheckpoint = "TR004";
    /// <summary>A training or evaluation loss (or the gradient norm) was NaN or infinite; nothing was saved for that step.</summary>
    public const string NonFiniteLoss = "TR005";
    /// <summary>Writing a checkpoint, the metrics or the model directory failed (a full disk, no permission).</summary>
    public const string SaveFailed = "TR006";
    /// <summary>A new run was pointed at a model directory that already holds a run.</summary>
    public const string OutputNotEmpty = "TR007";
    /// <summary>The model directory given to start a run from (<c>--init</c>) has no usable weights or another shape.</summary>
    public const string InitialWeights = "TR008";
    /// <summary>The run's weights, gradients, optimizer state and activations would not fit the memory the process may use.</summary>
    public const string NotEnoughMemory = "TR009";
}
