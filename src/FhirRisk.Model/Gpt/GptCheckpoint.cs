using System.Globalization;
using System.Text.Json;
using FhirRisk.Model.Checkpoints;

namespace FhirRisk.Model.Gpt;

/// <summary>
/// A GPT in a checkpoint folder (docs/formats/checkpoint.md): its flat parameters as named tensors under the PyTorch
/// names of <see cref="GptLayout"/>, its config as <c>config.json</c> (<c>vocab_size</c>, <c>n_layer</c>, <c>n_head</c>,
/// <c>n_embd</c>, <c>block_size</c>, <c>dropout</c> — nanoGPT's names), and, for resuming, the AdamW moments.
/// </summary>
public static class GptCheckpoint
{
    /// <summary>Writes <paramref name="parameters"/> (and, for resuming, the AdamW moments <paramref name="m"/>, <paramref name="v"/>
    /// with <paramref name="progress"/>) into <paramref name="directory"/>.</summary>
    public static void Save(string directory, GptParameters parameters, float[]? m = null, float[]? v = null, TrainingProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var layout = parameters.Layout;
        var optimizer = m is null || v is null ? null : new OptimizerCheckpoint(Views(layout, m), Views(layout, v));
        Checkpoint.Save(directory, Views(layout, parameters.Values), ConfigOf(parameters.Config), optimizer, optimizer is null ? null : progress);
    }

    /// <summary>The model saved in <paramref name="directory"/>: its config, then every parameter, checked by name and shape.</summary>
    /// <exception cref="CheckpointException">A file is missing, truncated, or does not match the config.</exception>
    public static GptParameters Load(string directory)
    {
        var config = ReadConfig(directory);
        var layout = new GptLayout(config);
        var values = new float[layout.Count];
        Checkpoint.LoadParameters(directory, Views(layout, values));
        return new GptParameters(layout, values);
    }

    /// <summary>Fills the AdamW moments saved beside the model and returns where training stopped.</summary>
    public static TrainingProgress LoadOptimizer(string directory, GptLayout layout, float[] m, float[] v)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return Checkpoint.LoadOptimizer(directory, new OptimizerCheckpoint(Views(layout, m), Views(layout, v)));
    }

    /// <summary>Named views of a flat buffer laid out like the parameters (the parameters themselves, gradients, moments).</summary>
    public static IReadOnlyList<NamedTensor> Views(GptLayout layout, float[] buffer)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Length != layout.Count)
            throw new ArgumentException($"Expected a buffer of {layout.Count} floats, got {buffer.Length}.", nameof(buffer));
        return layout.Tensors
            .Select(t => new NamedTensor(t.Name, t.Shape.Select(d => (long)d).ToArray(), buffer.AsMemory(t.Range.Offset, t.Range.Length)))
            .ToList();
    }

    private static Dictionary<string, object> ConfigOf(GptConfig config) => new()
    {
        ["vocab_size"] = config.VocabSize,
        ["n_layer"] = config.Layers,
        ["n_head"] = config.Heads,
        ["n_embd"] = config.Channels,
        ["block_size"] = config.ContextLength,
        ["dropout"] = config.Dropout,
    };

    private static GptConfig ReadConfig(string directory)
    {
        var json = Checkpoint.LoadConfig(directory);
        var path = Path.Combine(directory, Checkpoint.ConfigFileName);
        int Int(string name) => json.TryGetProperty(name, out var value) && value.TryGetInt32(out var number)
            ? number
            : throw new CheckpointException(CheckpointErrorCodes.BadConfig, path,
                $"'{name}' is missing or not an integer. Hint: config.json must hold vocab_size, n_layer, n_head, n_embd and block_size.");
        var dropout = json.TryGetProperty("dropout", out var d) && d.ValueKind == JsonValueKind.Number ? d.GetSingle() : 0f;
        try
        {
            return new GptConfig(Int("vocab_size"), Int("n_layer"), Int("n_head"), Int("n_embd"), Int("block_size"), dropout).Validate();
        }
        catch (ArgumentException e)
        {
            throw new CheckpointException(CheckpointErrorCodes.BadConfig, path,
                string.Create(CultureInfo.InvariantCulture, $"the config is not a valid GPT ({e.Message}). Hint: restore config.json from the run that saved the checkpoint."),
                innerException: e);
        }
    }
}
