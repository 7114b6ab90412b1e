using FhirRisk.Meds;
using FhirRisk.Model;
using FhirRisk.Testing;
using FhirRisk.Training.Linear;
using FhirRisk.Training.Probes;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Training.Tests.Probes;

public sealed class EmbeddingFeaturizerTests
{
    private static readonly EmbeddingSettings Settings = new() { BatchSize = 3, Compute = ComputeOptions.SingleThreaded };

    [Theory]
    [InlineData(64)] // every window starts at the first token: one shared sequence per subject
    [InlineData(8)]  // 5 prefix tokens + the last 3 timeline tokens: each point its own truncated window
    public void Build_EachRowIsTheHiddenStateAtThePredictionToken_OfAWindowBuiltByHand(int context)
    {
        using var temp = new TempDirectory();
        var model = ProbeModel.Load(TinyProbeModel.Create(temp.Path, context));
        var featurizer = new EmbeddingFeaturizer(model, Settings);
        var subjects = MedsDatasetReader.Open(TinyProbeModel.Sample).ReadSubjects().ToArray();
        var points = new List<(Meds.MedsSubject Subject, DateTime Time)>();
        foreach (var subject in subjects)
        {
            // Every distinct event time, so points fall early, late and on shared timestamps.
            var times = subject.Events.Where(e => e.Time is not null).Select(e => e.Time!.Value).Distinct().Order().ToArray();
            featurizer.Add(subject, times);
            points.AddRange(times.Select(t => (subject, t)));
        }

        var features = featurizer.Build();

        Assert.Equal(points.Count, features.Rows);
        var maxError = 0.0;
        for (var row = 0; row < points.Count; row++)
        {
            var expected = HiddenAtLastToken(model, HandWindow(model, points[row].Subject, points[row].Time, context));
            var actual = RowOf(features, row);
            maxError = Math.Max(maxError, expected.Select((v, j) => Math.Abs(v - actual[j])).Max());
        }
        Assert.True(maxError < 1e-5, $"max |Δ| {maxError:E2}");
        // At 64 every subject's timeline fits: one shared sequence each, plus the prefix-only one of the birth-time point
        // (MEDS_BIRTH feeds the prefix, so no timeline token is at or before it).
        if (context == 64)
            Assert.Equal(2 * subjects.Length, featurizer.Sequences);
    }

    [Fact]
    public void Build_APointBeforeTheTimeline_ReadsTheStaticPrefixAtThePredictionTime()
    {
        using var temp = new TempDirectory();
        var model = ProbeModel.Load(TinyProbeModel.Create(temp.Path));
        var subject = MedsDatasetReader.Open(TinyProbeModel.Sample).ReadSubjects().First();
        var before = subject.Events.Where(e => e.Time is not null).Min(e => e.Time!.Value).AddYears(-1);
        var featurizer = new EmbeddingFeaturizer(model, Settings);

        featurizer.Add(subject, [before]);
        var features = featurizer.Build();

        var timeline = model.Tokenizer.Encode(subject);
        var prefix = model.Tokenizer.PrefixAt(timeline.Statics, (before - DateTime.UnixEpoch).Ticks / 10);
        var expected = HiddenAtLastToken(model, prefix);
        Assert.All(Enumerable.Range(0, expected.Length), j => Assert.Equal(expected[j], RowOf(features, 0)[j], 5));
    }

    [Fact]
    public void Load_ATokenizerLargerThanTheModel_IsAMismatch()
    {
        using var temp = new TempDirectory();
        TinyProbeModel.Create(temp.Path, extraVocabulary: -3);

        var error = Assert.Throws<TrainingException>(() => ProbeModel.Load(temp.Path));

        Assert.Equal(ProbeErrorCodes.TokenizerMismatch, error.Code);
    }

    [Fact]
    public void Load_AContextNoLongerThanThePrefix_IsAMismatch()
    {
        using var temp = new TempDirectory();
        TinyProbeModel.Create(temp.Path, context: 5);

        var error = Assert.Throws<TrainingException>(() => ProbeModel.Load(temp.Path));

        Assert.Equal(ProbeErrorCodes.TokenizerMismatch, error.Code);
    }

    [Fact]
    public void Load_ADamagedCheckpointOrNoTokenizer_IsABadModel()
    {
        using var temp = new TempDirectory();
        var directory = TinyProbeModel.Create(temp.File("model"));
        var weights = Path.Combine(directory, "model.safetensors");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..100]);

        Assert.Equal(ProbeErrorCodes.BadModel, Assert.Throws<TrainingException>(() => ProbeModel.Load(directory)).Code);

        var noTokenizer = TinyProbeModel.Create(temp.File("other"));
        File.Delete(Path.Combine(noTokenizer, "tokenizer.json"));
        Assert.Equal(ProbeErrorCodes.BadModel, Assert.Throws<TrainingException>(() => ProbeModel.Load(noTokenizer)).Code);
    }

    /// <summary>The window of the probe's definition, written out independently: the static prefix at the window's first
    /// token, then the last T − prefix timeline tokens up to the last one at or before <paramref name="time"/> (before the
    /// first token, e.g. at the birth time: the prefix alone, at <paramref name="time"/>).</summary>
    private static int[] HandWindow(ProbeModel model, Meds.MedsSubject subject, DateTime time, int context)
    {
        var timeline = model.Tokenizer.Encode(subject);
        var micros = (time - DateTime.UnixEpoch).Ticks / 10;
        var last = -1;
        for (var i = 0; i < timeline.Count; i++)
        {
            if (timeline.Times[i] <= micros && !(timeline.Ended && i == timeline.Count - 1))
                last = i;
        }
        if (last < 0)
            return model.Tokenizer.PrefixAt(timeline.Statics, micros);
        var budget = context - model.Tokenizer.PrefixLength;
        var start = Math.Max(0, last + 1 - budget);
        return [.. model.Tokenizer.PrefixAt(timeline.Statics, timeline.Times[start]), .. timeline.Tokens[start..(last + 1)]];
    }

    private static float[] HiddenAtLastToken(ProbeModel model, int[] window)
    {
        using var gpt = new GptModel(model.Parameters, 1, ComputeOptions.SingleThreaded);
        gpt.ForwardHidden(window, 1, window.Length);
        var hidden = new float[model.Parameters.Config.Channels];
        gpt.HiddenStates([window.Length - 1], hidden);
        return hidden;
    }

    private static double[] RowOf(FeatureMatrix features, int row)
    {
        var unit = new double[features.Rows];
        unit[row] = 1;
        var values = new double[features.Columns];
        features.MultiplyTransposed(unit, values);
        return values;
    }
}
