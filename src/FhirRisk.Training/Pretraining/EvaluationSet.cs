using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Training.Pretraining;

/// <summary>
/// Fixed windows of the tuning split, drawn once with <see cref="Seed"/> (not the run's seed), so every evaluation of a
/// run — and every run over the same shards and window size — scores the same tokens, and losses compare.
/// </summary>
internal sealed class EvaluationSet
{
    /// <summary>The sampler seed of the tuning windows.</summary>
    public const ulong Seed = 0x7475_6E69_6E67; // "tuning"

    private readonly int[][] _tokens;
    private readonly int[][] _targets;
    private readonly int _rows;
    private readonly int _context;

    public EvaluationSet(WindowSampler sampler, int batches, int rows, int contextLength)
    {
        (_rows, _context) = (rows, contextLength);
        _tokens = new int[batches][];
        _targets = new int[batches][];
        for (var b = 0; b < batches; b++)
        {
            (_tokens[b], _targets[b]) = (new int[rows * contextLength], new int[rows * contextLength]);
            sampler.Fill(Seed, (ulong)b, rows, _tokens[b], _targets[b]);
        }
        Targets = _targets.Sum(t => t.Count(id => id != WindowSampler.IgnoreIndex));
    }

    /// <summary>Target tokens scored per evaluation.</summary>
    public long Targets { get; }

    /// <summary>The mean cross-entropy per target token over every window, without dropout (in double across batches).</summary>
    /// <param name="model">The model scored.</param>
    /// <param name="cancellationToken">Checked before each block of each batch's forward pass
    /// (<see cref="OperationCanceledException"/>): an evaluation of many batches is abandoned within one block.</param>
    public double Loss(GptModel model, CancellationToken cancellationToken = default)
    {
        double sum = 0;
        for (var b = 0; b < _tokens.Length; b++)
        {
            var counted = _targets[b].Count(id => id != WindowSampler.IgnoreIndex);
            if (counted > 0)
                sum += (double)model.Forward(_tokens[b], _targets[b], _rows, _context, dropout: null, cancellationToken)!.Value * counted;
        }
        return Targets == 0 ? double.NaN : sum / Targets;
    }
}
