using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using FhirRisk.Training.Finetuning;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Training.Tests.Finetuning;

public sealed class WeightAverageTests
{
    [Fact]
    public void The_average_starts_at_the_first_weights_and_folds_each_later_one_in_with_the_decay()
    {
        var parameters = GptParameters.Initialize(new GptConfig(16, 1, 2, 8, 8), seed: 1);
        using var model = new GptModel(parameters, 1);
        var heads = new TaskHeads(["a", "b"], 8, 16, tokenizerFingerprint: 5);
        var average = new WeightAverage(model, heads, decay: 0.5, includeBackbone: true);
        foreach (var value in new[] { 1f, 3f, 7f })
        {
            Array.Fill(parameters.Values, value);
            Array.Fill(heads.Parameters, value);
            average.Update();
        }
        Array.Fill(parameters.Values, -1f);
        Array.Fill(heads.Parameters, -1.0);

        average.Apply();

        // 1 → 0.5·1 + 0.5·3 = 2 → 0.5·2 + 0.5·7 = 4.5
        Assert.All(parameters.Values, v => Assert.Equal(4.5f, v));
        Assert.All(heads.Parameters, v => Assert.Equal(4.5, v));
        Assert.All(model.Weights.ToArray(), v => Assert.Equal(4.5f, v));
    }

    [Fact]
    public void Without_the_backbone_only_the_heads_are_averaged()
    {
        var parameters = GptParameters.Initialize(new GptConfig(16, 1, 2, 8, 8), seed: 1);
        var before = parameters.Values.ToArray();
        using var model = new GptModel(parameters, 1);
        var heads = new TaskHeads(["a"], 8, 16, tokenizerFingerprint: 5);
        var average = new WeightAverage(model, heads, decay: 0.9, includeBackbone: false);
        Array.Fill(heads.Parameters, 2.0);
        average.Update();
        Array.Fill(heads.Parameters, 12.0);
        average.Update();

        average.Apply();

        Assert.Equal(before, parameters.Values);
        Assert.All(heads.Parameters, v => Assert.Equal(3.0, v, 12));
    }

    [Fact]
    public void Apply_before_any_update_changes_nothing()
    {
        var parameters = GptParameters.Initialize(new GptConfig(16, 1, 2, 8, 8), seed: 2);
        var before = parameters.Values.ToArray();
        using var model = new GptModel(parameters, 1);
        var heads = new TaskHeads(["a"], 8, 16, tokenizerFingerprint: 5);
        heads.Parameters[0] = 0.25;

        new WeightAverage(model, heads, decay: 0.9, includeBackbone: true).Apply();

        Assert.Equal(before, parameters.Values);
        Assert.Equal(0.25, heads.Parameters[0]);
    }
}
