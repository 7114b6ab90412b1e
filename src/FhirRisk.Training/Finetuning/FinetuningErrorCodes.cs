namespace FhirRisk.Training.Finetuning;

/// <summary>Stable codes carried by <see cref="TrainingException.Code"/>; documented in docs/finetuning.md.</summary>
public static class FinetuningErrorCodes
{
    /// <summary>No label files for the chosen tasks, or no labelled point matches a subject of the token shards.</summary>
    public const string NoLabels = "FT001";
    /// <summary>A task has no positive or no negative training label, so its head cannot be fitted.</summary>
    public const string SingleClassTask = "FT002";
    /// <summary>The token shards, the tokenizer and the model do not share one vocabulary.</summary>
    public const string TokenizerMismatch = "FT003";
    /// <summary>The training loss or a head became NaN or infinite; nothing was saved.</summary>
    public const string NonFiniteLoss = "FT004";
    /// <summary>Writing the finetuned model failed (a full disk, no permission).</summary>
    public const string SaveFailed = "FT005";
    /// <summary>The output folder is not empty.</summary>
    public const string OutputNotEmpty = "FT006";
    /// <summary>The <c>--model</c> folder is not a pretrained model directory (a run's checkpoint folder, no tokenizer or
    /// weights), or its weights hold NaN or infinite values.</summary>
    public const string BadModel = "FT007";
}
