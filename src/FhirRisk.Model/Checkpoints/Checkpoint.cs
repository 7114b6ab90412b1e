using System.Globalization;
using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Model.Checkpoints.Internal;

namespace FhirRisk.Model.Checkpoints;

/// <summary>
/// A training checkpoint: a folder with <c>model.safetensors</c> (float32 parameters under their PyTorch names, loadable
/// by <c>safetensors.torch.load_file</c>), <c>config.json</c> (the model config), and optionally
/// <c>optimizer.safetensors</c> (AdamW moments plus step and RNG position) for a bit-exact resume. Layout, names and
/// error codes: docs/formats/checkpoint.md.
/// </summary>
public static class Checkpoint
{
    public const string ModelFileName = "model.safetensors";
    public const string ConfigFileName = "config.json";
    public const string OptimizerFileName = "optimizer.safetensors";

    /// <summary>Version written to <c>__metadata__</c> (STYLE 5); readers refuse newer ones.</summary>
    public const int FormatVersion = 1;

    internal const string VersionKey = "fhirrisk.checkpoint_version";
    internal const string FirstMomentSuffix = ".exp_avg";
    internal const string SecondMomentSuffix = ".exp_avg_sq";

    /// <summary>
    /// Writes the checkpoint into <paramref name="directory"/> (created if needed), each file atomically. Pass
    /// <paramref name="optimizer"/> and <paramref name="progress"/> together to make the checkpoint resumable.
    /// </summary>
    public static void Save(string directory, IReadOnlyList<NamedTensor> parameters, IReadOnlyDictionary<string, object> config,
        OptimizerCheckpoint? optimizer = null, TrainingProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(config);
        if ((optimizer is null) != (progress is null))
            throw new ArgumentException("Pass the optimizer moments and the training progress together, or neither.", nameof(progress));
        Directory.CreateDirectory(directory);

        WriteAtomically(Path.Combine(directory, ConfigFileName), ConfigJson.Serialize(config));

        var model = NewFile();
        foreach (var p in parameters)
            model.Add(p.Name, Dimensions(p), (ReadOnlyMemory<float>)p.Data);
        model.WriteTo(Path.Combine(directory, ModelFileName));

        if (optimizer is not null && progress is not null)
            SaveOptimizer(Path.Combine(directory, OptimizerFileName), parameters, optimizer, progress);
    }

    /// <summary>The model config saved with the checkpoint.</summary>
    public static JsonElement LoadConfig(string directory)
    {
        var path = Path.Combine(directory, ConfigFileName);
        if (!File.Exists(path))
            throw new CheckpointException(CheckpointErrorCodes.MissingFile, path,
                "the file does not exist. Hint: a checkpoint folder holds config.json beside model.safetensors; check the path.");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(CheckpointErrorCodes.BadConfig, path,
                    $"expected a JSON object, found {document.RootElement.ValueKind}. Hint: restore config.json from the run that saved the checkpoint.");
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new CheckpointException(CheckpointErrorCodes.BadConfig, path,
                $"not valid JSON ({e.Message}). Hint: restore config.json from the run that saved the checkpoint.", innerException: e);
        }
    }

    /// <summary>
    /// Fills every parameter view from <c>model.safetensors</c>. The file must hold exactly these names, as F32 of these
    /// shapes; otherwise nothing is written and a <see cref="CheckpointException"/> says what differs.
    /// </summary>
    public static void LoadParameters(string directory, IReadOnlyList<NamedTensor> parameters)
    {
        using var file = SafeTensorsReader.Open(Path.Combine(directory, ModelFileName));
        CheckVersion(file);
        ExpectedTensors.Check(file, parameters.Select(p => (p.Name, p.Shape)).ToList());
        foreach (var p in parameters)
            file.Read(p.Name, p.Data.Span);
    }

    /// <summary>Whether the checkpoint in <paramref name="directory"/> can resume training (has optimizer state).</summary>
    public static bool HasOptimizerState(string directory) => File.Exists(Path.Combine(directory, OptimizerFileName));

    /// <summary>Fills the AdamW moments from <c>optimizer.safetensors</c> and returns the step and RNG position.</summary>
    public static TrainingProgress LoadOptimizer(string directory, OptimizerCheckpoint optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        using var file = SafeTensorsReader.Open(Path.Combine(directory, OptimizerFileName));
        CheckVersion(file);
        var moments = Moments(optimizer).ToList();
        ExpectedTensors.Check(file, moments.Select(m => (m.Name, m.Tensor.Shape)).ToList());
        var progress = new TrainingProgress(
            ReadMetadata(file, "step", (text, culture) => long.Parse(text, NumberStyles.None, culture)),
            ReadMetadata(file, "rng_seed", (text, culture) => ulong.Parse(text, NumberStyles.None, culture)),
            ReadMetadata(file, "rng_counter", (text, culture) => ulong.Parse(text, NumberStyles.None, culture)));
        foreach (var (name, tensor) in moments)
            file.Read(name, tensor.Data.Span);
        return progress;
    }

    private static void SaveOptimizer(string path, IReadOnlyList<NamedTensor> parameters, OptimizerCheckpoint optimizer, TrainingProgress progress)
    {
        CheckMomentsMatch(parameters, optimizer.FirstMoments, nameof(optimizer.FirstMoments));
        CheckMomentsMatch(parameters, optimizer.SecondMoments, nameof(optimizer.SecondMoments));
        var file = NewFile();
        file.Metadata["step"] = progress.Step.ToString(CultureInfo.InvariantCulture);
        file.Metadata["rng_seed"] = progress.RngSeed.ToString(CultureInfo.InvariantCulture);
        file.Metadata["rng_counter"] = progress.RngCounter.ToString(CultureInfo.InvariantCulture);
        foreach (var (name, tensor) in Moments(optimizer))
            file.Add(name, Dimensions(tensor), (ReadOnlyMemory<float>)tensor.Data);
        file.WriteTo(path);
    }

    private static IEnumerable<(string Name, NamedTensor Tensor)> Moments(OptimizerCheckpoint optimizer) =>
        optimizer.FirstMoments.Select(m => (m.Name + FirstMomentSuffix, m))
            .Concat(optimizer.SecondMoments.Select(v => (v.Name + SecondMomentSuffix, v)));

    private static void CheckMomentsMatch(IReadOnlyList<NamedTensor> parameters, IReadOnlyList<NamedTensor> moments, string what)
    {
        var matches = parameters.Count == moments.Count && parameters.Zip(moments)
            .All(pair => pair.First.Name == pair.Second.Name && pair.First.Shape.SequenceEqual(pair.Second.Shape));
        if (!matches)
            throw new ArgumentException($"{what} must list one tensor per parameter, in the same order, with the same names and shapes.", what);
    }

    private static SafeTensorsWriter NewFile()
    {
        var file = new SafeTensorsWriter();
        // safetensors.torch writes {"format": "pt"}; some PyTorch loaders check it.
        file.Metadata["format"] = "pt";
        file.Metadata[VersionKey] = FormatVersion.ToString(CultureInfo.InvariantCulture);
        return file;
    }

    private static void CheckVersion(SafeTensorsReader file)
    {
        // Files written by PyTorch carry no version; they are read as version 1.
        if (!file.Metadata.TryGetValue(VersionKey, out var text))
            return;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            throw new CheckpointException(CheckpointErrorCodes.BadMetadata, file.FilePath,
                $"'{VersionKey}' must be a positive integer, found '{text}'. Hint: the header is corrupt; re-save the checkpoint.");
        if (version > FormatVersion)
            throw new CheckpointException(CheckpointErrorCodes.UnsupportedVersion, file.FilePath,
                $"checkpoint format version {version} is newer than this build reads (1..{FormatVersion}). Hint: upgrade FhirRisk.");
    }

    private static T ReadMetadata<T>(SafeTensorsReader file, string key, Func<string, IFormatProvider, T> parse)
    {
        if (!file.Metadata.TryGetValue(key, out var text))
            throw new CheckpointException(CheckpointErrorCodes.BadMetadata, file.FilePath,
                $"__metadata__ has no '{key}'. Hint: this optimizer state cannot resume training exactly; restart from model.safetensors alone.");
        try
        {
            return parse(text, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new CheckpointException(CheckpointErrorCodes.BadMetadata, file.FilePath,
                $"__metadata__ '{key}' must be a non-negative integer, found '{text}'. Hint: the header is corrupt; re-save the checkpoint.", innerException: e);
        }
    }

    private static ReadOnlySpan<long> Dimensions(NamedTensor tensor) => tensor.Shape.ToArray();

    private static void WriteAtomically(string path, byte[] contents) => DurableFiles.WriteAllBytes(path, contents);
}
