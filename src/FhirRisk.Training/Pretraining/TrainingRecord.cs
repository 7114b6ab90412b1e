using System.Text.Json;
using System.Text.Json.Serialization;
using FhirRisk.Core;

namespace FhirRisk.Training.Pretraining;

/// <summary>
/// Where a pretraining run stands, as <c>training.json</c> (docs/formats/model-directory.md): in the model directory it
/// describes the weights beside it, in <c>checkpoints/last/</c> it is what a resume needs besides the tensors. The RNG
/// and data position are also in <c>optimizer.safetensors</c>; a resume checks the two agree.
/// </summary>
internal sealed record TrainingRecord
{
    public const string FileName = Model.Checkpoints.SavedFileHashes.RecordFile;
    public const string FormatName = "fhirrisk-pretraining";
    public const int CurrentVersion = 1;

    public string Format { get; init; } = FormatName;

    public int Version { get; init; } = CurrentVersion;

    public required PretrainingSettings Settings { get; init; }

    /// <summary><c>Vocabulary.Fingerprint</c> of the tokenizer, 16 uppercase hex digits.</summary>
    public required string VocabularyFingerprint { get; init; }

    public required int VocabularySize { get; init; }

    public long TrainTokens { get; init; }

    public long TuningTokens { get; init; }

    /// <summary>Optimizer steps taken.</summary>
    public long Step { get; init; }

    /// <summary>The next training batch index (<see cref="WindowSampler"/>).</summary>
    public long DataPosition { get; init; }

    /// <summary>The optimizer step of the weights saved beside this record.</summary>
    public long WeightsStep { get; init; }

    /// <summary>Window positions trained on (B·T per step, padding included).</summary>
    public long TokensSeen { get; init; }

    /// <summary>Seconds spent in training steps (drawing windows, forward, backward, optimizer), over every session of the run.</summary>
    public double TrainSeconds { get; init; }

    public double? LastLoss { get; init; }

    public double? BestEvalLoss { get; init; }

    public long? BestStep { get; init; }

    /// <summary>
    /// Ctrl-C stopped the tuning evaluation of <see cref="Step"/>: the weights saved beside this record are that step's,
    /// so the next session evaluates them before it trains on, and the best-model rule and the step's metrics line see
    /// the same tuning loss as a run never stopped. Written only when true.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool EvaluationPending { get; init; }

    /// <summary>The model whose weights started the run (<c>fhirrisk train --init</c>); null when they were drawn from the seed.</summary>
    public InitialWeightsSource? InitializedFrom { get; init; }

    /// <summary>In a checkpoint's record only: the token shards the run trains on, so that a resume on other data is
    /// refused (the windows of step k, and the tuning loss that picks the best weights, would change).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TokensSource? Tokens { get; init; }

    /// <summary>The SHA-256 of each file saved beside it, by file name: in a checkpoint's record every other file, in the
    /// model directory's the model files (<see cref="CheckpointIntegrity.ModelFiles"/>). The record is written last, so a
    /// reader can tell a damaged file, or one of another save (a save stopped between its renames), from the one the save
    /// wrote.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, string>? FileSha256 { get; init; }

    public void Save(string directory)
    {
        var path = Path.Combine(directory, FileName);
        DurableFiles.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(this, TrainingJsonContext.Default.TrainingRecord));
    }

    /// <exception cref="TrainingException">The file is missing, not this format, or newer than this build reads.</exception>
    public static TrainingRecord Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        const string Hint = "Hint: resume from an intact checkpoint, or start a new run with another --out.";
        if (!File.Exists(path))
            throw new TrainingException(PretrainingErrorCodes.CorruptCheckpoint, path, $"the file is missing. {Hint}");
        TrainingRecord? record;
        try
        {
            record = JsonSerializer.Deserialize(File.ReadAllBytes(path), TrainingJsonContext.Default.TrainingRecord);
        }
        catch (JsonException e)
        {
            throw new TrainingException(PretrainingErrorCodes.CorruptCheckpoint, path, $"not valid training JSON ({e.Message}). {Hint}", e);
        }
        if (record is null || record.Format != FormatName || record.Version is < 1 or > CurrentVersion)
            throw new TrainingException(PretrainingErrorCodes.CorruptCheckpoint, path,
                $"expected format '{FormatName}' version 1..{CurrentVersion}. Hint: a newer FhirRisk wrote it, or it is not a training record; upgrade, or start a new run.");
        return record;
    }
}

/// <summary>Where a continued run's first weights came from: the model directory as given and the SHA-256 of its
/// <c>model.safetensors</c>, so that the record names the exact weights even after the folder changes.</summary>
internal sealed record InitialWeightsSource(string Directory, string WeightsSha256);

/// <summary>The token shards of a run: the folder as given and the SHA-256 of its <c>manifest.json</c>, which lists every
/// shard with its split and token count (the tokenizer writes it deterministically).</summary>
internal sealed record TokensSource(string Directory, string ManifestSha256);

/// <summary>Source-generated JSON for <see cref="TrainingRecord"/> (no reflection, so trimmed publishes can train).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(TrainingRecord))]
internal sealed partial class TrainingJsonContext : JsonSerializerContext;
