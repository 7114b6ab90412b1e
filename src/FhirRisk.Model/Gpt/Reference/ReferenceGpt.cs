using System.Numerics;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Cpu.Reference;

namespace FhirRisk.Model.Gpt.Reference;

/// <summary>
/// The slow twin of <see cref="Gpt"/>, composed of the Reference kernels: the same layers in the same order over the
/// same flat parameter layout, single-threaded, allocating freely, generic so that it runs in double. It is the test
/// oracle for the fast model and the function a finite-difference check differentiates.
/// </summary>
/// <typeparam name="T">Element type (float or double).</typeparam>
public sealed class ReferenceGpt<T>
    where T : IFloatingPointIeee754<T>
{
    private readonly GptLayout _layout;
    private Pass? _pass;

    /// <summary>Wraps <paramref name="parameters"/> (used in place, so a test may perturb them between passes).</summary>
    /// <param name="layout">Where each tensor lies.</param>
    /// <param name="parameters">(P) the flat parameter buffer.</param>
    public ReferenceGpt(GptLayout layout, T[] parameters)
    {
        if (parameters.Length != layout.Count)
            throw new ArgumentException($"Expected {layout.Count} parameters, got {parameters.Length}.", nameof(parameters));
        _layout = layout;
        Parameters = parameters;
        Gradients = new T[layout.Count];
    }

    /// <summary>(P) the flat parameter buffer.</summary>
    public T[] Parameters { get; }

    /// <summary>(P) accumulated gradients.</summary>
    public T[] Gradients { get; }

    /// <summary>(B, T, Vp) logits of the last forward pass.</summary>
    public T[] Logits => _pass?.Logits ?? throw new InvalidOperationException("Call Forward first.");

    /// <summary>(B, T, C) ln_f outputs of the last forward pass.</summary>
    public T[] HiddenStates => _pass?.LnF ?? throw new InvalidOperationException("Call Forward first.");

    /// <summary>Converts a float parameter buffer (e.g. <see cref="GptParameters.Values"/>) to <typeparamref name="T"/>.</summary>
    /// <param name="values">Float parameters.</param>
    /// <returns>A new array.</returns>
    public static T[] Convert(ReadOnlySpan<float> values)
    {
        var result = new T[values.Length];
        for (var i = 0; i < values.Length; i++)
            result[i] = T.CreateChecked(values[i]);
        return result;
    }

    /// <summary>Twin of <see cref="Gpt.Forward(ReadOnlySpan{int}, ReadOnlySpan{int}, int, int, DropoutKey?)"/>.</summary>
    /// <param name="tokens">(B, T) token ids.</param>
    /// <param name="targets">(B, T) targets or −100; null for logits only.</param>
    /// <param name="B">Sequences.</param>
    /// <param name="Tlen">Positions.</param>
    /// <param name="dropout">Dropout key; null for none.</param>
    /// <returns>The mean loss, or zero without targets.</returns>
    public T Forward(int[] tokens, int[]? targets, int B, int Tlen, DropoutKey? dropout = null)
    {
        var config = _layout.Config;
        var (c, nh, vp, v) = (config.Channels, config.Heads, config.PaddedVocabSize, config.VocabSize);
        var n = B * Tlen;
        var p = (ReadOnlySpan<T>)Parameters;
        var pass = _pass = new Pass(config, B, Tlen, tokens, targets, config.Dropout > 0f ? dropout : null);

        ReferenceLayers.EmbeddingForward<T>(pass.Encoded, tokens, p.View(_layout.Wte), p.View(_layout.Wpe), B, Tlen, c);
        pass.DropoutForward(pass.Encoded, 0);
        var residual = pass.Encoded;
        for (var l = 0; l < config.Layers; l++)
        {
            var w = _layout.Blocks[l];
            var s = pass.Layers[l];
            ReferenceLayers.LayerNormForward<T>(s.Ln1, s.Ln1Mean, s.Ln1Rstd, residual, p.View(w.Ln1Weight), p.View(w.Ln1Bias), n, c);
            ReferenceGemm.MatMulForward<T>(s.Qkv, s.Ln1, p.View(w.AttnWeight), n, c, 3 * c);
            ReferenceAttention.Forward<T>(s.Atty, s.Att, new T[B * nh * Tlen], s.Qkv, B, Tlen, c, nh);
            var attProj = new T[n * c];
            ReferenceGemm.MatMulForward<T>(attProj, s.Atty, p.View(w.AttnProjWeight), n, c, c);
            pass.DropoutForward(attProj, 1 + 2 * l);
            ReferenceLayers.ResidualForward<T>(s.Residual2, residual, attProj);
            ReferenceLayers.LayerNormForward<T>(s.Ln2, s.Ln2Mean, s.Ln2Rstd, s.Residual2, p.View(w.Ln2Weight), p.View(w.Ln2Bias), n, c);
            ReferenceGemm.MatMulForward<T>(s.Fch, s.Ln2, p.View(w.FcWeight), n, c, 4 * c);
            ReferenceLayers.GeluForward<T>(s.FchGelu, s.Fch);
            var fcProj = new T[n * c];
            ReferenceGemm.MatMulForward<T>(fcProj, s.FchGelu, p.View(w.FcProjWeight), n, 4 * c, c);
            pass.DropoutForward(fcProj, 2 + 2 * l);
            ReferenceLayers.ResidualForward<T>(s.Residual3, s.Residual2, fcProj);
            residual = s.Residual3;
        }

        ReferenceLayers.LayerNormForward<T>(pass.LnF, pass.LnFMean, pass.LnFRstd, residual, p.View(_layout.LnFWeight), p.View(_layout.LnFBias), n, c);
        ReferenceGemm.MatMulForward<T>(pass.Logits, pass.LnF, p.View(_layout.Wte), n, c, vp);
        return targets is null ? T.Zero : ReferenceLayers.SoftmaxCrossEntropyForward<T>(new T[n], pass.Logits, targets, n, v, vp);
    }

    /// <summary>Twin of <see cref="Gpt.Backward"/>: accumulates into <see cref="Gradients"/>.</summary>
    public void Backward() => Backward(null, includeLoss: true);

    /// <summary>
    /// Twin of <see cref="Gpt.BackwardHidden"/>: accumulates the gradient of <c>includeLoss ? loss : 0</c> plus
    /// Σ dHidden·hidden (a linear read-out of the ln_f outputs, what task heads send back).
    /// </summary>
    /// <param name="dHidden">(N, C) gradient of the hidden states; null for none.</param>
    /// <param name="includeLoss">Back-propagate the language-model loss too (needs targets).</param>
    public void Backward(T[]? dHidden, bool includeLoss)
    {
        var pass = _pass ?? throw new InvalidOperationException("Call Forward first.");
        var targets = pass.Targets;
        if (includeLoss && targets is null)
            throw new InvalidOperationException("Backward with the loss needs a Forward with targets.");
        var config = _layout.Config;
        var (c, nh, vp, v) = (config.Channels, config.Heads, config.PaddedVocabSize, config.VocabSize);
        var (B, Tlen, n) = (pass.Batch, pass.Length, pass.Batch * pass.Length);
        var p = (ReadOnlySpan<T>)Parameters;
        var g = Gradients.AsSpan();

        var dlnf = new T[n * c];
        if (includeLoss)
        {
            var dlogits = new T[n * vp];
            ReferenceLayers.SoftmaxCrossEntropyBackward<T>(dlogits, pass.Logits, targets!, n, v, vp);
            ReferenceGemm.MatMulBackward<T>(dlnf, g.View(_layout.Wte), dlogits, pass.LnF, p.View(_layout.Wte), n, c, vp);
        }

        for (var i = 0; dHidden is not null && i < dlnf.Length; i++)
            dlnf[i] += dHidden[i];
        var dresidual = new T[n * c];
        ReferenceLayers.LayerNormBackward<T>(dresidual, g.View(_layout.LnFWeight), g.View(_layout.LnFBias), dlnf,
            pass.Layers[^1].Residual3, p.View(_layout.LnFWeight), pass.LnFMean, pass.LnFRstd, n, c);

        for (var l = config.Layers - 1; l >= 0; l--)
        {
            var w = _layout.Blocks[l];
            var s = pass.Layers[l];
            var residual = l == 0 ? pass.Encoded : pass.Layers[l - 1].Residual3;

            var dfcProj = pass.DropoutBackward(dresidual, 2 + 2 * l);
            var dfchGelu = new T[n * 4 * c];
            ReferenceGemm.MatMulBackward<T>(dfchGelu, g.View(w.FcProjWeight), dfcProj, s.FchGelu, p.View(w.FcProjWeight), n, 4 * c, c);
            var dfch = new T[n * 4 * c];
            ReferenceLayers.GeluBackward<T>(dfch, s.Fch, dfchGelu);
            var dln2 = new T[n * c];
            ReferenceGemm.MatMulBackward<T>(dln2, g.View(w.FcWeight), dfch, s.Ln2, p.View(w.FcWeight), n, c, 4 * c);
            ReferenceLayers.LayerNormBackward<T>(dresidual, g.View(w.Ln2Weight), g.View(w.Ln2Bias), dln2, s.Residual2,
                p.View(w.Ln2Weight), s.Ln2Mean, s.Ln2Rstd, n, c);

            var dattProj = pass.DropoutBackward(dresidual, 1 + 2 * l);
            var datty = new T[n * c];
            ReferenceGemm.MatMulBackward<T>(datty, g.View(w.AttnProjWeight), dattProj, s.Atty, p.View(w.AttnProjWeight), n, c, c);
            var dqkv = new T[n * 3 * c];
            ReferenceAttention.Backward<T>(dqkv, datty, s.Qkv, s.Att, B, Tlen, c, nh);
            var dln1 = new T[n * c];
            ReferenceGemm.MatMulBackward<T>(dln1, g.View(w.AttnWeight), dqkv, s.Ln1, p.View(w.AttnWeight), n, c, 3 * c);
            ReferenceLayers.LayerNormBackward<T>(dresidual, g.View(w.Ln1Weight), g.View(w.Ln1Bias), dln1, residual,
                p.View(w.Ln1Weight), s.Ln1Mean, s.Ln1Rstd, n, c);
        }

        var dencoded = pass.DropoutBackward(dresidual, 0);
        ReferenceLayers.EmbeddingBackward<T>(g.View(_layout.Wte), g.View(_layout.Wpe), dencoded, pass.Tokens, B, Tlen, c);
    }

    /// <summary>One forward pass's saved activations.</summary>
    private sealed class Pass(GptConfig config, int b, int t, int[] tokens, int[]? targets, DropoutKey? dropout)
    {
        public int Batch { get; } = b;

        public int Length { get; } = t;

        public int[] Tokens { get; } = tokens;

        public int[]? Targets { get; } = targets;

        public T[] Encoded { get; } = new T[b * t * config.Channels];

        public LayerActivations[] Layers { get; } =
            Enumerable.Range(0, config.Layers).Select(_ => new LayerActivations(b, t, config.Channels, config.Heads)).ToArray();

        public T[] LnF { get; } = new T[b * t * config.Channels];

        public T[] LnFMean { get; } = new T[b * t];

        public T[] LnFRstd { get; } = new T[b * t];

        public T[] Logits { get; } = new T[b * t * config.PaddedVocabSize];

        private int Sites => 1 + 2 * config.Layers;

        /// <summary>Inverted dropout by its definition in <see cref="Dropout"/>: element i of call k survives iff
        /// <c>CounterRng.Uniform(seed, k, i) ≥ p</c>, scaled by 1/(1−p).</summary>
        public void DropoutForward(T[] x, int site)
        {
            if (dropout is not { } key)
                return;
            for (var i = 0; i < x.Length; i++)
                x[i] *= MaskScale(key, site, i);
        }

        public T[] DropoutBackward(T[] dout, int site)
        {
            if (dropout is not { } key)
                return dout;
            var dinp = new T[dout.Length];
            for (var i = 0; i < dout.Length; i++)
                dinp[i] = dout[i] * MaskScale(key, site, i);
            return dinp;
        }

        private T MaskScale(DropoutKey key, int site, int i) =>
            CounterRng.Uniform(key.Seed, key.CallIndex(site, Sites), (ulong)i) >= config.Dropout
                ? T.One / (T.One - T.CreateChecked(config.Dropout))
                : T.Zero;
    }

    /// <summary>One block's saved activations (shapes as in <see cref="GptActivations"/>).</summary>
    private sealed class LayerActivations(int b, int t, int c, int nh)
    {
        public T[] Ln1 { get; } = new T[b * t * c];

        public T[] Ln1Mean { get; } = new T[b * t];

        public T[] Ln1Rstd { get; } = new T[b * t];

        public T[] Qkv { get; } = new T[b * t * 3 * c];

        public T[] Att { get; } = new T[b * nh * t * t];

        public T[] Atty { get; } = new T[b * t * c];

        public T[] Residual2 { get; } = new T[b * t * c];

        public T[] Ln2 { get; } = new T[b * t * c];

        public T[] Ln2Mean { get; } = new T[b * t];

        public T[] Ln2Rstd { get; } = new T[b * t];

        public T[] Fch { get; } = new T[b * t * 4 * c];

        public T[] FchGelu { get; } = new T[b * t * 4 * c];

        public T[] Residual3 { get; } = new T[b * t * c];
    }
}
