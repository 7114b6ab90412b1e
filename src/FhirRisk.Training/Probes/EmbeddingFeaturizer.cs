using FhirRisk.Meds;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Finetuning;
using FhirRisk.Training.Linear;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Training.Probes;

/// <summary>
/// The linear probe's features (issue 6 item 3; EHRSHOT's frozen CLMBR representation, reference/peers.md §3.3): the
/// model's hidden state (the ln_f output, what the logits are computed from) at the prediction token. The window fed to
/// the model is the one finetuning and inference use (<see cref="PromptedContext"/>): the static prefix rebuilt at the
/// window's first token, then the most recent timeline tokens up to and including the prediction point
/// (<see cref="EncodedTimeline.IndexAt"/>: the last token at or before the prediction time), as many as fit the
/// context. A point before the first timeline token reads the last prefix token, the prefix built at the prediction time.
/// </summary>
/// <remarks>
/// Attention is causal, so the hidden state at a position depends only on the tokens up to it: every point of a subject
/// whose window starts at the timeline's first token is read from one sequence (the longest), and sequences of unequal
/// length share a batch by right-padding. Sequences run longest first, <see cref="EmbeddingSettings.BatchSize"/> at a
/// time, without dropout.
/// </remarks>
public sealed class EmbeddingFeaturizer : IPointFeaturizer
{
    public const string MethodName = "probe";

    /// <summary>The id padding a short sequence in a batch; causal attention keeps it out of every real position.</summary>
    private const int PaddingId = 0;

    private readonly ProbeModel _model;
    private readonly EmbeddingSettings _settings;
    private readonly EncodedTimeline _timeline;
    private readonly List<int[]> _sequences = [];
    private readonly List<(int Sequence, int Position)> _reads = [];

    public EmbeddingFeaturizer(ProbeModel model, EmbeddingSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ProbeModel.Check(model.Directory, model.Parameters.Config, model.Tokenizer);
        _model = model;
        _settings = (settings ?? EmbeddingSettings.Default).Validate();
        _timeline = model.Tokenizer.CreateBuffer();
    }

    public string Method => MethodName;

    /// <summary>Numeric values too: the tokenizer writes decile tokens after quantized codes.</summary>
    public MedsEventColumns Columns => MedsEventColumns.Time | MedsEventColumns.Code | MedsEventColumns.NumericValue;

    public FeatureScaling Scaling => FeatureScaling.Standardize;

    /// <summary>The vocabulary's coverage of the events of every subject added so far.</summary>
    public CodeCoverageCounts Coverage { get; private set; }

    /// <summary>Model sequences queued so far (fewer than the points when points share a window).</summary>
    public int Sequences => _sequences.Count;

    public void Add(MedsSubject subject, IReadOnlyList<DateTime> predictionTimes)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(predictionTimes);
        var tokenizer = _model.Tokenizer;
        var context = _model.Parameters.Config.ContextLength;
        var prefix = tokenizer.PrefixLength;
        tokenizer.Encode(subject.Events, _timeline);
        Coverage += _timeline.Coverage;
        var indices = _timeline.IndicesAt(predictionTimes);

        // A point at timeline index i < T − prefix has a window that starts at token 0.
        var fromStart = indices.Where(i => i >= 0 && i < context - prefix).DefaultIfEmpty(-1).Max();
        var shared = fromStart < 0 ? -1 : Queue(Window(fromStart, context));
        for (var k = 0; k < indices.Length; k++)
        {
            var index = indices[k];
            if (index < 0)
            {
                var alone = tokenizer.PrefixAt(_timeline.Statics, (predictionTimes[k] - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond);
                _reads.Add((Queue(alone), prefix - 1));
            }
            else if (index <= fromStart)
            {
                _reads.Add((shared, prefix + index));
            }
            else
            {
                var window = Window(index, context);
                _reads.Add((Queue(window), window.Length - 1));
            }
        }
    }

    /// <exception cref="TokenizationException">More of the events have unknown codes than
    /// <see cref="EmbeddingSettings.MaxUnknownShare"/> allows (TOK001); checked before the model runs.</exception>
    public FeatureMatrix Build(IProgress<ProbeProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        // As 'fhirrisk tokenize' and finetuning refuse it: a model of other data would embed mostly UNK tokens (CLI review s10).
        Coverage.CheckUnknownShare(_settings.MaxUnknownShare, MedsSchema.DataFolder + "/");
        var c = _model.Parameters.Config.Channels;
        var features = new double[_reads.Count * c];
        if (_sequences.Count == 0)
            return new DenseFeatureMatrix(features, _reads.Count, c);

        var readsOf = Enumerable.Range(0, _sequences.Count).Select(_ => new List<int>()).ToArray();
        for (var row = 0; row < _reads.Count; row++)
            readsOf[_reads[row].Sequence].Add(row);
        var order = Enumerable.Range(0, _sequences.Count).OrderByDescending(s => _sequences[s].Length).ToArray();
        var batchSize = Math.Min(_settings.BatchSize, order.Length);
        using var gpt = new GptModel(_model.Parameters, batchSize, _settings.Compute);
        var tokens = new int[batchSize * _model.Parameters.Config.ContextLength];
        for (var first = 0; first < order.Length; first += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = order.AsSpan(first, Math.Min(batchSize, order.Length - first));
            var t = _sequences[batch[0]].Length;
            var modelRows = new List<int>();
            var pointRows = new List<int>();
            for (var b = 0; b < batch.Length; b++)
            {
                var sequence = _sequences[batch[b]];
                var slot = tokens.AsSpan(b * t, t);
                sequence.CopyTo(slot);
                slot[sequence.Length..].Fill(PaddingId);
                foreach (var row in readsOf[batch[b]])
                {
                    modelRows.Add((b * t) + _reads[row].Position);
                    pointRows.Add(row);
                }
            }
            gpt.ForwardHidden(tokens.AsSpan(0, batch.Length * t), batch.Length, t);
            var hidden = new float[modelRows.Count * c];
            gpt.HiddenStates(modelRows.ToArray(), hidden);
            for (var r = 0; r < pointRows.Count; r++)
                CopyFinite(hidden.AsSpan(r * c, c), features.AsSpan(pointRows[r] * c, c));
            progress?.Report(new ProbeProgress("embedding", first + batch.Length, order.Length));
        }
        return new DenseFeatureMatrix(features, _reads.Count, c);
    }

    private int[] Window(int index, int context) =>
        PromptedContext.Build(_model.Tokenizer, _timeline.Tokens, _timeline.Times, _timeline.Statics, index, context);

    private int Queue(int[] sequence)
    {
        _sequences.Add(sequence);
        return _sequences.Count - 1;
    }

    private void CopyFinite(ReadOnlySpan<float> hidden, Span<double> destination)
    {
        for (var j = 0; j < hidden.Length; j++)
        {
            if (!float.IsFinite(hidden[j]))
            {
                throw new TrainingException(ProbeErrorCodes.NonFinite, _model.Directory,
                    "the model produced a NaN or infinite hidden state. Hint: the checkpoint is damaged or diverged in training; use an earlier checkpoint.");
            }
            destination[j] = hidden[j];
        }
    }
}
