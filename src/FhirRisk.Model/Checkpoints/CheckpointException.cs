namespace FhirRisk.Model.Checkpoints;

/// <summary>
/// The one exception checkpoint and safetensors reading raises for a bad file. The message names the file, the tensor
/// when there is one, what was expected and what was found, and ends with a hint saying what to do; <see cref="Code"/>
/// (one of <see cref="CheckpointErrorCodes"/>) is stable for tests and callers to branch on.
/// </summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string code, string filePath, string message, string? tensor = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        FilePath = filePath;
        Tensor = tensor;
    }

    /// <summary>Stable error code, one of <see cref="CheckpointErrorCodes"/>.</summary>
    public string Code { get; }

    /// <summary>The file being read.</summary>
    public string FilePath { get; }

    /// <summary>The tensor the problem is in, when there is one.</summary>
    public string? Tensor { get; }

    /// <summary>The message without the code and location prefix.</summary>
    public string Detail => base.Message;

    public override string Message =>
        Tensor is null ? $"[{Code}] {FilePath}: {base.Message}" : $"[{Code}] {FilePath}, tensor '{Tensor}': {base.Message}";
}

/// <summary>Stable codes carried by <see cref="CheckpointException.Code"/>; documented in docs/formats/checkpoint.md.</summary>
public static class CheckpointErrorCodes
{
    /// <summary>The file ends before the header or the data it declares.</summary>
    public const string Truncated = "CK001";
    /// <summary>The declared header length exceeds the 100 MB the format allows.</summary>
    public const string HeaderTooLarge = "CK002";
    /// <summary>The header is not a UTF-8 JSON object of the shape the format prescribes (or has a duplicate key).</summary>
    public const string BadHeader = "CK003";
    /// <summary>A tensor's dtype is not one of F32, F64, I32, I64.</summary>
    public const string UnsupportedDType = "CK004";
    /// <summary>Data offsets overlap, leave a hole, or disagree with the tensor's shape and dtype.</summary>
    public const string BadOffsets = "CK005";
    /// <summary>A tensor the model needs is not in the file.</summary>
    public const string MissingTensor = "CK006";
    /// <summary>The file holds a tensor the model does not have.</summary>
    public const string UnexpectedTensor = "CK007";
    /// <summary>A tensor's shape differs from the model's.</summary>
    public const string ShapeMismatch = "CK008";
    /// <summary>A tensor's dtype differs from the one asked for.</summary>
    public const string DTypeMismatch = "CK009";
    /// <summary>A file of the checkpoint is absent.</summary>
    public const string MissingFile = "CK010";
    /// <summary><c>config.json</c> is not a JSON object.</summary>
    public const string BadConfig = "CK011";
    /// <summary>The file was written by a newer checkpoint format version than this build reads.</summary>
    public const string UnsupportedVersion = "CK012";
    /// <summary>A <c>__metadata__</c> entry the checkpoint needs (e.g. the optimizer step) is absent or malformed.</summary>
    public const string BadMetadata = "CK013";
    /// <summary><c>heads.json</c> is missing, damaged, or from another format version (docs/formats/heads.md).</summary>
    public const string BadHeads = "CK014";
}
