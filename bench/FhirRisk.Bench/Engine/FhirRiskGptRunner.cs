using System.Diagnostics;
using FhirRisk.Model;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Gpt;

namespace FhirRisk.Bench.Engine;

/// <summary>What our side of <c>engine</c> measured: the timed steps and the loss of every step, warm-up included.</summary>
internal sealed record TrainingRun(StepTimes Steps, IReadOnlyList<float> Losses);

/// <summary>What a side of <c>decode</c> measured: per timed run, the prefill and the generation seconds, and the
/// (B, new tokens) ids the last run generated.</summary>
internal sealed record DecodeRun(StepTimes Prefill, StepTimes Generation, int[] Generated);

/// <summary>
/// Our side of <c>engine</c> and <c>decode</c>: every place the benches touch <see cref="Gpt"/>,
/// <see cref="GptDecoder"/> and <see cref="GptOptimizer"/>, kept in this one file so a change of the model's API changes
/// only it.
/// </summary>
internal static class FhirRiskGptRunner
{
    /// <summary>
    /// <paramref name="warmup"/> untimed then <paramref name="steps"/> timed training steps on one (B, T) batch; a step
    /// is what <c>torch_peer.py train</c> times: zero the gradients, forward with the loss, backward, AdamW.
    /// </summary>
    public static TrainingRun Train(GptParameters parameters, int[] tokens, int[] targets, int batch, int length,
        TrainingOptimizer optimizerSettings, int warmup, int steps, ComputeOptions options)
    {
        using var model = new Gpt(parameters, batch, options);
        using var optimizer = new GptOptimizer(model, optimizerSettings.AdamW);
        var seconds = new List<double>();
        var losses = new List<float>();
        var watch = new Stopwatch();
        for (var step = 1; step <= warmup + steps; step++)
        {
            watch.Restart();
            model.ZeroGradients();
            var loss = model.Forward(tokens, targets, batch, length) ?? float.NaN;
            model.Backward();
            optimizer.Step(optimizerSettings.LearningRate);
            watch.Stop();
            losses.Add(loss);
            if (step > warmup)
                seconds.Add(watch.Elapsed.TotalSeconds);
        }

        return new TrainingRun(new StepTimes(seconds), losses);
    }

    /// <summary>
    /// Greedy decoding of B sequences from their (B, P) <paramref name="prompt"/>, as <c>torch_peer.py decode</c>: a
    /// short untimed warm-up, then <paramref name="runs"/> timed runs of a prefill (the prompt fed through ragged
    /// <see cref="GptDecoder.Step"/>s of <see cref="PrefillPositions"/> positions of every sequence each) and
    /// <paramref name="newTokens"/> generation steps, each feeding the token chosen last and choosing the next by argmax.
    /// </summary>
    public static DecodeRun Decode(GptParameters parameters, int[] prompt, int batch, int promptLength, int newTokens,
        DecodeWarmup warmup, int runs, ComputeOptions options)
    {
        using var decoder = new GptDecoder(parameters, batch, new CpuBackend(options), batch * PrefillPositions);
        var session = new DecodeSession(decoder, batch);
        session.Run(prompt, promptLength, warmup.PromptLength, warmup.NewTokens);
        var prefill = new List<double>();
        var generation = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            var (prefillSeconds, generationSeconds) = session.Run(prompt, promptLength, promptLength, newTokens);
            prefill.Add(prefillSeconds);
            generation.Add(generationSeconds);
        }

        return new DecodeRun(new StepTimes(prefill), new StepTimes(generation), session.Generated);
    }

    /// <summary>Prompt positions of every sequence one prefill step feeds: B·64 rows a call (2,048 at B = 32).</summary>
    public const int PrefillPositions = 64;

    /// <summary>One decoder with all its slots in use, and the buffers a run needs.</summary>
    private sealed class DecodeSession(GptDecoder decoder, int batch)
    {
        private readonly int[] _slots = Enumerable.Range(0, batch).ToArray();
        private readonly int[] _tokens = new int[batch];
        private readonly int[] _counts = new int[batch];
        private readonly int[] _chunk = new int[batch * PrefillPositions];
        private readonly float[] _logits = new float[batch * decoder.Config.PaddedVocabSize];

        /// <summary>(B, new tokens) ids of the last run.</summary>
        public int[] Generated { get; private set; } = [];

        /// <summary>Feeds the first <paramref name="used"/> tokens of each prompt row, then generates; returns the
        /// seconds of both phases.</summary>
        public (double Prefill, double Generation) Run(int[] prompt, int promptLength, int used, int newTokens)
        {
            for (var s = 0; s < batch; s++)
                decoder.Reset(s);
            var generated = new int[batch * newTokens];
            var watch = Stopwatch.StartNew();
            for (var t = 0; t < used; t += PrefillPositions)
            {
                var positions = Math.Min(PrefillPositions, used - t);
                Array.Fill(_counts, positions);
                for (var s = 0; s < batch; s++)
                    prompt.AsSpan(s * promptLength + t, positions).CopyTo(_chunk.AsSpan(s * positions));
                decoder.Step(_slots, _counts, _chunk.AsSpan(0, batch * positions), _logits);
            }

            ChooseNext();
            var prefill = watch.Elapsed.TotalSeconds;
            watch.Restart();
            for (var i = 0; i < newTokens; i++)
            {
                for (var s = 0; s < batch; s++)
                    generated[s * newTokens + i] = _tokens[s];
                decoder.Step(_slots, _tokens, _logits);
                ChooseNext();
            }

            var generation = watch.Elapsed.TotalSeconds;
            Generated = generated;
            return (prefill, generation);
        }

        /// <summary>Greedy choice per row: the first index of the largest of the V real logits (as torch.argmax).</summary>
        private void ChooseNext()
        {
            var (vocab, padded) = (decoder.Config.VocabSize, decoder.Config.PaddedVocabSize);
            for (var s = 0; s < batch; s++)
            {
                var row = _logits.AsSpan(s * padded, vocab);
                var best = 0;
                for (var j = 1; j < row.Length; j++)
                {
                    if (row[j] > row[best])
                        best = j;
                }

                _tokens[s] = best;
            }
        }
    }
}

/// <summary>The untimed decode before the timed runs: a short prompt and a few new tokens (code and caches warm).</summary>
internal sealed record DecodeWarmup(int PromptLength, int NewTokens);
