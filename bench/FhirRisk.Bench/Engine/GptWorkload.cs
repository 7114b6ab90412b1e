using System.Buffers.Binary;
using FhirRisk.Model.Gpt;

namespace FhirRisk.Bench.Engine;

/// <summary>
/// What both sides of <c>engine</c> and <c>decode</c> run: one model shape, its GPT-2 initial weights and a batch of
/// token ids, written to the scratch folder so the PyTorch peer reads exactly what we hold in memory.
/// </summary>
/// <param name="Config">The model; dropout 0 (a training step without dropout, and inference).</param>
/// <param name="Batch">B: sequences per training step, or sequences decoded together.</param>
/// <param name="Length">T: tokens per training sequence, or the prompt length when decoding.</param>
internal sealed record GptWorkload(GptConfig Config, int Batch, int Length)
{
    private const ulong WeightSeed = 4;
    private const int TokenSeed = 20;

    /// <summary>Issue 4's bench model: vocab 4096, 4 layers, 8 heads, d_model 256, context 512.</summary>
    public static GptConfig IssueConfig { get; } = new(VocabSize: 4096, Layers: 4, Heads: 8, Channels: 256, ContextLength: 512);

    /// <summary>Training on (B, T) = (8, 512): every position of the context, as the issue's config says.</summary>
    public static GptWorkload Training() => new(IssueConfig, Batch: 8, Length: IssueConfig.ContextLength);

    /// <summary>
    /// Decoding 32 sequences from a 512-token prompt. The issue's prompt of 512 plus 256 new tokens does not fit the
    /// 512-token context, so the decode model has a context of <paramref name="newTokens"/> more positions (768 by
    /// default); everything else is the issue's config.
    /// </summary>
    public static GptWorkload Decoding(int promptLength, int newTokens) =>
        new(IssueConfig with { ContextLength = promptLength + newTokens }, Batch: 32, Length: promptLength);

    public GptParameters CreateParameters() => GptParameters.Initialize(Config, WeightSeed);

    /// <summary>(B, T) token ids drawn uniformly from the vocabulary; <paramref name="stream"/> tells apart inputs
    /// and targets.</summary>
    public int[] RandomTokens(int stream)
    {
        var random = new Random(TokenSeed + stream);
        var tokens = new int[Batch * Length];
        for (var i = 0; i < tokens.Length; i++)
            tokens[i] = random.Next(Config.VocabSize);
        return tokens;
    }

    /// <summary>Writes the weights as a checkpoint folder (PyTorch tensor names, docs/formats/checkpoint.md).</summary>
    public static void WriteCheckpoint(string directory, GptParameters parameters) => GptCheckpoint.Save(directory, parameters);

    /// <summary>Writes ids as little-endian int32, the layout the peer reads with <c>numpy.fromfile</c>.</summary>
    public static void WriteTokens(string path, int[] tokens)
    {
        var bytes = new byte[tokens.Length * sizeof(int)];
        for (var i = 0; i < tokens.Length; i++)
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * sizeof(int)), tokens[i]);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Reads ids written by the peer (little-endian int32).</summary>
    public static int[] ReadTokens(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var tokens = new int[bytes.Length / sizeof(int)];
        for (var i = 0; i < tokens.Length; i++)
            tokens[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i * sizeof(int)));
        return tokens;
    }
}
