using FhirRisk.Model.Cpu;

namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// One rollout's state, shared by the cached scheduler and the no-cache reference so both follow the same rules: the
/// timeline (prompt, then generated tokens) under its <see cref="ContextWindow"/>, the judge, and the sampling stream.
/// Token t of rollout i is drawn from Philox stream i of the request's key at word t (<see cref="Sampler.SampleRow"/>),
/// over the tokenizer's ids only (task tokens and padding are never drawn).
/// </summary>
internal sealed class RolloutSequence
{
    private readonly int[] _prefix;
    private readonly List<int> _timeline;
    private readonly List<int> _generated = [];
    private readonly int _promptJumps;

    public RolloutSequence(RolloutRequest request, int index, int prefixLength, int contextLength, int slide, TokenMeanings meanings)
    {
        Request = request;
        Index = index;
        Meanings = meanings;
        _prefix = request.Prompt[..prefixLength];
        _timeline = [.. request.Prompt[prefixLength..]];
        Window = new ContextWindow(prefixLength, contextLength, slide);
        Window.Fit(_timeline.Count);
        _promptJumps = Window.Jumps;
        PromptWindowLength = WindowLength;
        Judge = new RolloutJudge(request.Tasks, meanings, request.Starts);
        TracksHazard = request.Settings.Sampling is { Temperature: > 0f, TopP: >= 1f } sampling && (sampling.TopK <= 0 || sampling.TopK >= meanings.Count);
    }

    public RolloutRequest Request { get; }

    public int Index { get; }

    public TokenMeanings Meanings { get; }

    public ContextWindow Window { get; }

    public RolloutJudge Judge { get; }

    /// <summary>Tokens in the model's window now.</summary>
    public int WindowLength => Window.Length(_timeline.Count);

    /// <summary>The window's length when the rollout began: the prompt as the model reads it.</summary>
    public int PromptWindowLength { get; }

    /// <summary>Whether the window still starts where the prompt's did, so cache rows below the prompt are the prompt's.</summary>
    public bool InPromptWindow => Window.Jumps == _promptJumps;

    /// <summary>True after <see cref="Accept"/> when the window jumped: a cache must re-read it from position 0.</summary>
    public bool WindowMoved { get; private set; }

    public IReadOnlyList<int> Generated => _generated;

    /// <summary>The id at window position <paramref name="position"/>: the prefix, then the window's timeline tokens.</summary>
    public int WindowToken(int position) =>
        position < _prefix.Length ? _prefix[position] : _timeline[Window.Start + position - _prefix.Length];

    /// <summary>Copies the whole window (the no-cache reference's input).</summary>
    public int[] WindowTokens()
    {
        var tokens = new int[WindowLength];
        for (var i = 0; i < tokens.Length; i++)
            tokens[i] = WindowToken(i);
        return tokens;
    }

    /// <summary>
    /// Whether the judge sums hazards: only under plain ancestral sampling (temperature &gt; 0, no top-k or top-p),
    /// where softmax(logits / T) is the distribution the next token is drawn from.
    /// </summary>
    public bool TracksHazard { get; }

    /// <summary>Draws the next token from the logits at the window's last position (<paramref name="logits"/> holds at
    /// least the tokenizer's ids), and the judge adds the hazard of that distribution.</summary>
    /// <exception cref="InferenceException">IN004: the logits are not a distribution (a NaN or +∞, or all −∞: a damaged
    /// or diverged model), for every caller of the scheduler (rollouts, generation).</exception>
    public int Sample(ReadOnlySpan<float> logits, Span<ulong> scratch)
    {
        var row = logits[..Meanings.Count];
        int token;
        try
        {
            // Drawn first: the sampler refuses what is not a distribution before the hazard sums it.
            token = Sampler.SampleRow(row, Request.Settings.Sampling, Request.StreamKey, Index, _generated.Count, scratch);
        }
        catch (ArithmeticException e)
        {
            throw new InferenceException(InferenceErrorCodes.NonFinite, "rollouts",
                $"the model produced a NaN or infinite logit ({e.Message}). The checkpoint is damaged or diverged; use an earlier one.", e);
        }
        if (TracksHazard)
            Judge.AddHazard(row, Request.Settings.Sampling.Temperature);
        return token;
    }

    /// <summary>Appends a generated token; returns true when the rollout is over (every task settled, or the budget spent).</summary>
    public bool Accept(int token)
    {
        _generated.Add(token);
        _timeline.Add(token);
        if (Judge.Observe(token))
            return true;
        if (_generated.Count >= Request.Settings.MaxNewTokens)
        {
            Judge.Abandon();
            return true;
        }
        WindowMoved = Window.Fit(_timeline.Count);
        return false;
    }
}
