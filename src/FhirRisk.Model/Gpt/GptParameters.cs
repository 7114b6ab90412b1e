using FhirRisk.Model.Cpu;

namespace FhirRisk.Model.Gpt;

/// <summary>
/// The weights of a GPT: one flat float buffer laid out by <see cref="GptLayout"/> (names and order in its remarks).
/// </summary>
public sealed class GptParameters
{
    /// <summary>Standard deviation of GPT-2's normal initialisation.</summary>
    public const double InitStd = 0.02;

    /// <summary>Wraps existing values (e.g. read from a checkpoint).</summary>
    /// <param name="layout">Where each tensor lies.</param>
    /// <param name="values">(<see cref="GptLayout.Count"/>) the flat buffer; used in place, not copied.</param>
    public GptParameters(GptLayout layout, float[] values)
    {
        if (values.Length != layout.Count)
            throw new ArgumentException($"Expected {layout.Count} parameters, got {values.Length}.", nameof(values));
        Layout = layout;
        Values = values;
    }

    /// <summary>Where each tensor lies.</summary>
    public GptLayout Layout { get; }

    /// <summary>The model shape.</summary>
    public GptConfig Config => Layout.Config;

    /// <summary>The flat buffer.</summary>
    public float[] Values { get; }

    /// <summary>
    /// GPT-2's initialisation (Radford et al. 2019 §2.3, as nanoGPT <c>_init_weights</c>): every matrix and embedding
    /// N(0, 0.02²), the two residual projections per block (attn.c_proj, mlp.c_proj) N(0, (0.02/√(2L))²) so the
    /// residual stream's variance does not grow with depth, LayerNorm weights 1 and biases 0. The padded vocabulary
    /// rows of wte are 0: no token reads them and the loss masks their logits, so they never train.
    /// </summary>
    /// <remarks>
    /// Draws are Box–Muller over <see cref="CounterRng"/> with tensor i as the stream, so each tensor's values depend
    /// only on (seed, i) and not on the tensors before it or on the thread count.
    /// </remarks>
    /// <param name="config">The model shape.</param>
    /// <param name="seed">Initialisation seed.</param>
    public static GptParameters Initialize(GptConfig config, ulong seed)
    {
        var layout = new GptLayout(config);
        var values = new float[layout.Count];
        var projectionStd = InitStd / Math.Sqrt(2.0 * config.Layers);
        for (var i = 0; i < layout.Tensors.Count; i++)
        {
            var tensor = layout.Tensors[i];
            var data = values.AsSpan(tensor.Range.Offset, tensor.Range.Length);
            if (tensor.Name.EndsWith(".bias", StringComparison.Ordinal))
                data.Clear();
            else if (!tensor.Decays)
                data.Fill(1f);
            else if (tensor.Range == layout.Wte)
                FillNormal(data[..(config.VocabSize * config.Channels)], InitStd, seed, (ulong)i);
            else
                FillNormal(data, tensor.Name.EndsWith(".c_proj.weight", StringComparison.Ordinal) ? projectionStd : InitStd, seed, (ulong)i);
        }

        return new GptParameters(layout, values);
    }

    private static void FillNormal(Span<float> destination, double std, ulong seed, ulong stream)
    {
        // Box–Muller: one Philox block (four words) gives two uniforms per normal pair; u1 ∈ (0, 1] keeps the log finite.
        for (var i = 0; i < destination.Length; i += 2)
        {
            var (x0, x1, _, _) = CounterRng.Block(seed, stream, (ulong)i / 2);
            var radius = std * Math.Sqrt(-2.0 * Math.Log(1.0 - CounterRng.ToUniformDouble(x0)));
            var angle = 2.0 * Math.PI * CounterRng.ToUniformDouble(x1);
            destination[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < destination.Length)
                destination[i + 1] = (float)(radius * Math.Sin(angle));
        }
    }
}
