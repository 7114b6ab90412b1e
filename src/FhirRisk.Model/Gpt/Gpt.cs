using FhirRisk.Model.Compute;
using FhirRisk.Model.Cpu;

namespace FhirRisk.Model.Gpt;

/// <summary>
/// A GPT-2 style decoder over the kernels of an <see cref="IComputeBackend"/> (DESIGN §5, llm.c's <c>gpt2_forward</c>/<c>gpt2_backward</c>): token and
/// position embeddings, L pre-LayerNorm blocks (attention then a 4× GELU MLP, each added to the residual stream after
/// dropout), a final LayerNorm and logits through the tied token embedding. Parameters, gradients and activations are
/// flat buffers in the backend's memory, allocated once, for batches of up to maxB sequences of up to
/// <see cref="GptConfig.ContextLength"/>.
/// </summary>
/// <remarks>
/// On the CPU backend the weights are <see cref="GptParameters.Values"/> itself (no copy); on another backend they are
/// uploaded once and <see cref="CopyWeightsToHost"/> brings optimizer updates back (before a checkpoint).
/// Not thread-safe: one forward/backward at a time; the kernels parallelise inside.
/// </remarks>
public sealed class Gpt : IDisposable
{
    // Dropout sites per step: the embeddings, then per block the attention and the MLP projections.
    private const int EmbeddingSite = 0;

    private readonly GptActivations _acts;
    private (int B, int T) _shape;
    private DropoutKey? _dropout;
    private State _state;

    /// <summary>Builds the model on the CPU backend around <paramref name="parameters"/> (used in place) with zeroed
    /// gradients.</summary>
    /// <param name="parameters">The weights.</param>
    /// <param name="maxBatch">maxB, the most sequences one <see cref="Forward"/> may take.</param>
    /// <param name="options">Thread budget for every kernel; <see cref="ComputeOptions.Default"/> when null.</param>
    public Gpt(GptParameters parameters, int maxBatch, ComputeOptions? options = null)
        : this(parameters, maxBatch, new CpuBackend(options))
    {
    }

    /// <summary>Builds the model on <paramref name="backend"/> with zeroed gradients.</summary>
    /// <param name="parameters">The weights: used in place on the CPU backend, uploaded to any other.</param>
    /// <param name="maxBatch">maxB, the most sequences one <see cref="Forward"/> may take.</param>
    /// <param name="backend">Where the buffers live and the kernels run; the model does not own it.</param>
    public Gpt(GptParameters parameters, int maxBatch, IComputeBackend backend)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(backend);
        Parameters = parameters;
        Backend = backend;
        Weights = WeightBuffer.For(parameters, backend);
        Gradients = backend.Allocate(parameters.Layout.Count);
        _acts = new GptActivations(parameters.Config, maxBatch, backend);
    }

    /// <summary>The bytes a training run of <paramref name="config"/> at batch <paramref name="maxBatch"/> holds in the
    /// backend's memory: the weights, their gradients, AdamW's two moments and the activations
    /// (<see cref="GptActivations.ElementsFor"/>), all 4-byte elements. The activations grow with maxB·maxT.</summary>
    public static long TrainingBytes(GptConfig config, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(config);
        var parameters = (long)new GptLayout(config).Count;
        return 4 * ((4 * parameters) + GptActivations.ElementsFor(config, maxBatch));
    }

    /// <summary>The 4-byte elements of this model's activations (<see cref="GptActivations.ElementsFor"/>).</summary>
    internal long ActivationElements => _acts.Elements;

    private enum State
    {
        Empty,
        Hidden,
        Logits,
        LossReady,
        GradientComputed,
    }

    /// <summary>The model shape.</summary>
    public GptConfig Config => Parameters.Config;

    /// <summary>The host copy of the weights: the weights themselves on the CPU backend; on another backend, current
    /// after <see cref="CopyWeightsToHost"/>.</summary>
    public GptParameters Parameters { get; }

    /// <summary>The backend the model runs on.</summary>
    public IComputeBackend Backend { get; }

    /// <summary>(P) the weights in the backend's memory, laid out as <see cref="GptParameters.Layout"/> (an optimizer
    /// updates them in place).</summary>
    public DeviceBuffer<float> Weights { get; }

    /// <summary>(P) gradients of the loss, laid out as <see cref="Parameters"/>; <see cref="Backward"/> accumulates.</summary>
    public DeviceBuffer<float> Gradients { get; }

    /// <summary>
    /// (B, T, Vp) a host copy of the logits of the last <see cref="Forward"/>; columns V..Vp are padding. Unavailable
    /// after <see cref="Backward"/>, which overwrites them with their gradient (as llm.c, to save the largest buffer).
    /// </summary>
    public float[] ReadLogits()
    {
        if (_state is not (State.Logits or State.LossReady))
            throw new InvalidOperationException("No logits: call Forward (Backward overwrites them).");
        var logits = new float[_shape.B * _shape.T * Config.PaddedVocabSize];
        Backend.Download(GptActivations.Rows(_acts.Logits, _shape.B * _shape.T, Config.PaddedVocabSize), logits);
        return logits;
    }

    /// <summary>Copies the backend's weights into <see cref="Parameters"/> (nothing to do on the CPU backend, where they
    /// are the same memory).</summary>
    public void CopyWeightsToHost() => WeightBuffer.CopyToHost(Weights, Parameters);

    /// <summary>
    /// Runs the model on a (B, T) batch of token ids; with targets, also returns the mean cross-entropy over the rows
    /// whose target is not −100.
    /// </summary>
    /// <param name="tokens">(B, T) token ids in [0, V).</param>
    /// <param name="targets">(B, T) next-token ids in [0, V) or −100 (ignored); null for logits only.</param>
    /// <param name="B">Sequences, at most maxB.</param>
    /// <param name="T">Positions, at most the context length.</param>
    /// <param name="dropout">The training step's dropout key; null (evaluation) applies no dropout.</param>
    /// <param name="cancellationToken">Checked before each block: a step of a long context can be abandoned within it
    /// (<see cref="OperationCanceledException"/>; the weights are untouched, the activations then undefined).</param>
    /// <returns>The loss, or null without targets.</returns>
    public float? Forward(ReadOnlySpan<int> tokens, ReadOnlySpan<int> targets, int B, int T, DropoutKey? dropout = null,
        CancellationToken cancellationToken = default) =>
        Forward(tokens, targets, hasTargets: true, B, T, dropout, cancellationToken);

    /// <inheritdoc cref="Forward(ReadOnlySpan{int}, ReadOnlySpan{int}, int, int, DropoutKey?)"/>
    public float? Forward(ReadOnlySpan<int> tokens, int B, int T, DropoutKey? dropout = null) =>
        Forward(tokens, default, hasTargets: false, B, T, dropout, CancellationToken.None);

    /// <summary>Sets every gradient to zero (once per optimizer step; <see cref="Backward"/> accumulates, so
    /// micro-batches add up).</summary>
    public void ZeroGradients() => Backend.Zero(Gradients.All);

    /// <summary>
    /// Runs the model up to the hidden states (the ln_f outputs) without the logits: the forward pass of task heads and
    /// embeddings, which read <see cref="HiddenStates"/> and may send a gradient back through <see cref="BackwardHidden"/>.
    /// </summary>
    /// <param name="tokens">(B, T) token ids in [0, V).</param>
    /// <param name="B">Sequences, at most maxB.</param>
    /// <param name="T">Positions, at most the context length.</param>
    /// <param name="dropout">The training step's dropout key; null (evaluation) applies no dropout.</param>
    public void ForwardHidden(ReadOnlySpan<int> tokens, int B, int T, DropoutKey? dropout = null)
    {
        CheckBatch(tokens, default, hasTargets: false, B, T);
        RunToHidden(tokens, B, T, dropout, CancellationToken.None);
        _state = State.Hidden;
    }

    /// <summary>Accumulates the gradient of the last <see cref="Forward"/>'s loss into <see cref="Gradients"/>.</summary>
    /// <param name="cancellationToken">Checked before each block, as in <see cref="Forward(ReadOnlySpan{int},
    /// ReadOnlySpan{int}, int, int, DropoutKey?, CancellationToken)"/>; the gradients are then partial.</param>
    public void Backward(CancellationToken cancellationToken = default)
    {
        if (_state != State.LossReady)
            throw new InvalidOperationException("Backward needs a Forward with targets since the last Backward.");
        BackwardCore(includeLoss: true, default, default, cancellationToken);
    }

    /// <summary>
    /// Accumulates into <see cref="Gradients"/> the gradient of a loss computed from the hidden states at chosen rows
    /// (task heads: EHRMamba's prompted finetuning), optionally together with the language-model loss of the last
    /// <see cref="Forward"/> with targets.
    /// </summary>
    /// <param name="rows">Distinct row indices b·T + t into the last batch.</param>
    /// <param name="dHidden">(rows, C) the loss's gradient with respect to those rows' hidden states.</param>
    /// <param name="includeLoss">Also back-propagate the language-model loss (needs a Forward with targets).</param>
    public void BackwardHidden(ReadOnlySpan<int> rows, ReadOnlySpan<float> dHidden, bool includeLoss = false)
    {
        if (includeLoss ? _state != State.LossReady : _state is State.Empty or State.GradientComputed)
        {
            throw new InvalidOperationException(includeLoss
                ? "BackwardHidden with the loss needs a Forward with targets since the last backward pass."
                : "BackwardHidden needs a Forward or ForwardHidden since the last backward pass.");
        }

        var (c, n) = (Config.Channels, _shape.B * _shape.T);
        if (rows.IsEmpty || dHidden.Length != rows.Length * c)
            throw new ArgumentException($"dHidden must hold rows × C = {rows.Length * c} values for 1 or more rows.", nameof(dHidden));
        var seen = new HashSet<int>();
        foreach (var row in rows)
        {
            if ((uint)row >= (uint)n)
                throw new ArgumentOutOfRangeException(nameof(rows), $"Row {row} is outside the last batch's {n} rows.");
            if (!seen.Add(row))
                throw new ArgumentException($"Row {row} is listed twice; add its gradients first.", nameof(rows));
        }

        BackwardCore(includeLoss, rows, dHidden, CancellationToken.None);
    }

    private void BackwardCore(bool includeLoss, ReadOnlySpan<int> hiddenRows, ReadOnlySpan<float> dHidden, CancellationToken cancellationToken)
    {
        var (c, nh, vp) = (Config.Channels, Config.Heads, Config.PaddedVocabSize);
        var (b, t) = _shape;
        var n = b * t;
        var a = _acts;
        var k = Backend;
        var (weights, grads) = (Weights, Gradients);
        var layout = Parameters.Layout;
        var tokens = GptActivations.Rows(a.Tokens, n, 1);
        var dresidual = GptActivations.Rows(a.DResidual, n, c);
        var dnormed = GptActivations.Rows(a.DNormed, n, c);
        var dqkv = GptActivations.Rows(a.DQkv, n, 3 * c);
        var dfch = GptActivations.Rows(a.DFch, n, 4 * c);
        var dfchGelu = GptActivations.Rows(a.DFchGelu, n, 4 * c);
        _state = State.GradientComputed;

        // The gradient of the hidden states: from the loss through the tied output projection (dlogits overwrites
        // the logits), plus the heads' gradient at their rows.
        k.Zero(dnormed);
        if (includeLoss)
        {
            var dlogits = GptActivations.Rows(a.Logits, n, vp);
            k.CrossEntropyBackward(dlogits, dlogits, GptActivations.Rows(a.Targets, n, 1), n, Config.VocabSize, vp);
            k.MatMulBackward(dnormed, grads.View(layout.Wte), dlogits, GptActivations.Rows(a.LnF, n, c), weights.View(layout.Wte), n, c, vp);
        }

        if (!hiddenRows.IsEmpty)
            AddHiddenGradient(dnormed, hiddenRows, dHidden, n);
        k.Zero(dresidual);
        k.LayerNormBackward(dresidual, grads.View(layout.LnFWeight), grads.View(layout.LnFBias), dnormed,
            a.LayerC(a.Residual3, Config.Layers - 1, n), weights.View(layout.LnFWeight),
            GptActivations.Rows(a.LnFMean, n, 1), GptActivations.Rows(a.LnFRstd, n, 1), n, c);

        for (var l = Config.Layers - 1; l >= 0; l--)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var w = layout.Blocks[l];
            var residual = l == 0 ? GptActivations.Rows(a.Encoded, n, c) : a.LayerC(a.Residual3, l - 1, n);

            // MLP branch: residual3 = residual2 + dropout(c_proj(gelu(c_fc(ln_2(residual2))))).
            var dfcproj = DropoutBackward(dresidual, n, MlpSite(l));
            k.Zero(dfchGelu);
            k.MatMulBackward(dfchGelu, grads.View(w.FcProjWeight), dfcproj, a.Layer(a.FchGelu, l, n, 4 * c), weights.View(w.FcProjWeight), n, 4 * c, c);
            k.Zero(dfch);
            k.GeluBackward(dfch, a.Layer(a.Fch, l, n, 4 * c), dfchGelu);
            k.Zero(dnormed);
            k.MatMulBackward(dnormed, grads.View(w.FcWeight), dfch, a.LayerC(a.Ln2, l, n), weights.View(w.FcWeight), n, c, 4 * c);
            k.LayerNormBackward(dresidual, grads.View(w.Ln2Weight), grads.View(w.Ln2Bias), dnormed, a.LayerC(a.Residual2, l, n),
                weights.View(w.Ln2Weight), a.Layer(a.Ln2Mean, l, n), a.Layer(a.Ln2Rstd, l, n), n, c);

            // Attention branch: residual2 = residual + dropout(c_proj(attention(c_attn(ln_1(residual))))).
            var dattproj = DropoutBackward(dresidual, n, AttentionSite(l));
            k.Zero(dnormed);
            k.MatMulBackward(dnormed, grads.View(w.AttnProjWeight), dattproj, a.LayerC(a.Atty, l, n), weights.View(w.AttnProjWeight), n, c, c);
            k.Zero(dqkv);
            k.AttentionBackward(dqkv, dnormed, a.Layer(a.Qkv, l, n, 3 * c), a.LayerC(a.Atty, l, n), a.Layer(a.AttStats, l, n, nh), b, t, c, nh);
            k.Zero(dnormed);
            k.MatMulBackward(dnormed, grads.View(w.AttnWeight), dqkv, a.LayerC(a.Ln1, l, n), weights.View(w.AttnWeight), n, c, 3 * c);
            k.LayerNormBackward(dresidual, grads.View(w.Ln1Weight), grads.View(w.Ln1Bias), dnormed, residual,
                weights.View(w.Ln1Weight), a.Layer(a.Ln1Mean, l, n), a.Layer(a.Ln1Rstd, l, n), n, c);
        }

        var dencoded = DropoutBackward(dresidual, n, EmbeddingSite);
        k.EmbeddingBackward(grads.View(layout.Wte), grads.View(layout.Wpe), dencoded, tokens, b, t, c);
    }

    /// <summary>dnormed[rows[i]] += dHidden[i]: the packed rows go to the device, are scattered into the (zeroed)
    /// dropout scratch, and added, so rows without a head keep the loss's gradient unchanged.</summary>
    private void AddHiddenGradient(DeviceView<float> dnormed, ReadOnlySpan<int> rows, ReadOnlySpan<float> dHidden, int n)
    {
        var (k, c, m) = (Backend, Config.Channels, rows.Length);
        var rowView = GptActivations.Rows(_acts.HiddenRows, m, 1);
        var packed = GptActivations.Rows(_acts.DFch, m, c);
        var scattered = GptActivations.Rows(_acts.DDropout, n, c);
        k.Upload(rows, rowView);
        k.Upload(dHidden, packed);
        k.Zero(scattered);
        k.ScatterRows(scattered, packed, rowView, c);
        k.ResidualForward(dnormed, dnormed, scattered);
    }

    /// <summary>
    /// Copies the hidden states (the ln_f outputs, the features the logits are computed from) of chosen rows of the
    /// last <see cref="Forward"/>: the input of task heads and sequence embeddings.
    /// </summary>
    /// <param name="rows">Row indices b·T + t into the last batch.</param>
    /// <param name="destination">(rows, C) written.</param>
    public void HiddenStates(ReadOnlySpan<int> rows, Span<float> destination)
    {
        if (_state == State.Empty)
            throw new InvalidOperationException("HiddenStates needs a Forward or ForwardHidden first.");
        var (c, n) = (Config.Channels, _shape.B * _shape.T);
        if (destination.Length != rows.Length * c)
            throw new ArgumentException($"destination must hold rows × C = {rows.Length * c} values.", nameof(destination));
        for (var i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)n)
                throw new ArgumentOutOfRangeException(nameof(rows), $"Row {rows[i]} is outside the last batch's {n} rows.");
            Backend.Download(_acts.LnF.View((long)rows[i] * c, c), destination.Slice(i * c, c));
        }
    }

    private float? Forward(ReadOnlySpan<int> tokens, ReadOnlySpan<int> targets, bool hasTargets, int B, int T, DropoutKey? dropout,
        CancellationToken cancellationToken)
    {
        CheckBatch(tokens, targets, hasTargets, B, T);
        var (c, vp, n) = (Config.Channels, Config.PaddedVocabSize, B * T);
        var (a, k) = (_acts, Backend);
        RunToHidden(tokens, B, T, dropout, cancellationToken);
        var logits = GptActivations.Rows(a.Logits, n, vp);
        k.MatMulForward(logits, GptActivations.Rows(a.LnF, n, c), Weights.View(Parameters.Layout.Wte), n, c, vp);
        _state = State.Logits;
        if (!hasTargets)
            return null;

        var targetView = GptActivations.Rows(a.Targets, n, 1);
        k.Upload(targets, targetView);
        var loss = k.CrossEntropyForward(GptActivations.Rows(a.Losses, n, 1), logits, targetView, n, Config.VocabSize, vp);
        _state = State.LossReady;
        return loss;
    }

    /// <summary>Embeddings, the blocks and ln_f: everything up to the hidden states.</summary>
    private void RunToHidden(ReadOnlySpan<int> tokens, int B, int T, DropoutKey? dropout, CancellationToken cancellationToken)
    {
        var (c, nh) = (Config.Channels, Config.Heads);
        var n = B * T;
        var a = _acts;
        var k = Backend;
        var weights = Weights;
        var layout = Parameters.Layout;
        (_shape, _dropout, _state) = ((B, T), Config.Dropout > 0f ? dropout : null, State.Empty);
        var tokenView = GptActivations.Rows(a.Tokens, n, 1);
        k.Upload(tokens, tokenView);
        var projection = GptActivations.Rows(a.Projection, n, c);

        var encoded = GptActivations.Rows(a.Encoded, n, c);
        k.EmbeddingForward(encoded, tokenView, weights.View(layout.Wte), weights.View(layout.Wpe), B, T, c);
        DropoutForward(encoded, EmbeddingSite);
        var residual = encoded;
        for (var l = 0; l < Config.Layers; l++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var w = layout.Blocks[l];
            var ln1 = a.LayerC(a.Ln1, l, n);
            var qkv = a.Layer(a.Qkv, l, n, 3 * c);
            var atty = a.LayerC(a.Atty, l, n);
            var residual2 = a.LayerC(a.Residual2, l, n);
            var ln2 = a.LayerC(a.Ln2, l, n);
            var fch = a.Layer(a.Fch, l, n, 4 * c);
            var fchGelu = a.Layer(a.FchGelu, l, n, 4 * c);
            var residual3 = a.LayerC(a.Residual3, l, n);

            k.LayerNormForward(ln1, a.Layer(a.Ln1Mean, l, n), a.Layer(a.Ln1Rstd, l, n), residual, weights.View(w.Ln1Weight), weights.View(w.Ln1Bias), n, c);
            k.MatMulForward(qkv, ln1, weights.View(w.AttnWeight), n, c, 3 * c);
            k.AttentionForward(atty, a.Layer(a.AttStats, l, n, nh), qkv, B, T, c, nh);
            k.MatMulForward(projection, atty, weights.View(w.AttnProjWeight), n, c, c);
            DropoutForward(projection, AttentionSite(l));
            k.ResidualForward(residual2, residual, projection);

            k.LayerNormForward(ln2, a.Layer(a.Ln2Mean, l, n), a.Layer(a.Ln2Rstd, l, n), residual2, weights.View(w.Ln2Weight), weights.View(w.Ln2Bias), n, c);
            k.MatMulForward(fch, ln2, weights.View(w.FcWeight), n, c, 4 * c);
            k.GeluForward(fchGelu, fch);
            k.MatMulForward(projection, fchGelu, weights.View(w.FcProjWeight), n, 4 * c, c);
            DropoutForward(projection, MlpSite(l));
            k.ResidualForward(residual3, residual2, projection);
            residual = residual3;
        }

        var lnf = GptActivations.Rows(a.LnF, n, c);
        k.LayerNormForward(lnf, GptActivations.Rows(a.LnFMean, n, 1), GptActivations.Rows(a.LnFRstd, n, 1), residual,
            weights.View(layout.LnFWeight), weights.View(layout.LnFBias), n, c);
    }

    private int Sites => 1 + 2 * Config.Layers;

    private static int AttentionSite(int layer) => 1 + 2 * layer;

    private static int MlpSite(int layer) => 2 + 2 * layer;

    private void DropoutForward(DeviceView<float> activations, int site)
    {
        if (_dropout is { } key)
            Backend.DropoutForward(activations, activations, Config.Dropout, key.Seed, key.CallIndex(site, Sites));
    }

    /// <summary>The gradient of a dropout site's input given its output's: <paramref name="dout"/> itself when the
    /// forward pass applied no dropout, otherwise the masked, rescaled copy in <see cref="GptActivations.DDropout"/>.</summary>
    private DeviceView<float> DropoutBackward(DeviceView<float> dout, int n, int site)
    {
        if (_dropout is not { } key)
            return dout;
        var dinp = GptActivations.Rows(_acts.DDropout, n, Config.Channels);
        Backend.Zero(dinp);
        Backend.DropoutBackward(dinp, dout, Config.Dropout, key.Seed, key.CallIndex(site, Sites));
        return dinp;
    }

    /// <summary>Frees the backend buffers (the weights stay in <see cref="Parameters"/>).</summary>
    public void Dispose()
    {
        _acts.Dispose();
        Gradients.Dispose();
        Weights.Dispose();
    }

    private void CheckBatch(ReadOnlySpan<int> tokens, ReadOnlySpan<int> targets, bool hasTargets, int B, int T)
    {
        var maxBatch = _acts.RowsCapacity / Config.ContextLength;
        if (B < 1 || T < 1 || B > maxBatch || T > Config.ContextLength)
            throw new ArgumentOutOfRangeException(nameof(B), $"Batch ({B}, {T}) is empty or exceeds the model's ({maxBatch}, {Config.ContextLength}).");
        if (tokens.Length != B * T || (hasTargets && targets.Length != B * T))
            throw new ArgumentException($"tokens and targets must hold B × T = {B * T} ids.", nameof(tokens));
        foreach (var token in tokens)
        {
            if ((uint)token >= (uint)Config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"Token id {token} is outside the vocabulary [0, {Config.VocabSize}).");
        }
    }
}
