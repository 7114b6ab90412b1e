using FhirRisk.Model.Heads;
using FhirRisk.Training.Finetuning;

namespace FhirRisk.Training.Tests.Finetuning;

public sealed class MultitaskHeadLossTests
{
    private const int K = 3;
    private const int C = 5;
    private const int N = 4;

    // Example 1 has no label for task 0, and task 2 is labelled only once.
    private static readonly sbyte[] Labels = [1, 0, -1, -1, 1, 0, 0, 0, -1, 1, 1, -1];
    private static readonly double[] PositiveWeights = [1.0, 2.5, 0.5];

    [Fact]
    public void Head_gradient_matches_central_differences()
    {
        var (heads, hidden) = Setup();
        var gradient = new double[heads.Parameters.Length];
        MultitaskHeadLoss.Compute(heads, hidden, Labels, PositiveWeights, gradient, new float[hidden.Length]);

        const double h = 1e-6;
        var worst = 0.0;
        for (var i = 0; i < heads.Parameters.Length; i++)
        {
            var saved = heads.Parameters[i];
            heads.Parameters[i] = saved + h;
            var up = Loss(heads, hidden);
            heads.Parameters[i] = saved - h;
            var down = Loss(heads, hidden);
            heads.Parameters[i] = saved;
            worst = Math.Max(worst, Math.Abs((up - down) / (2 * h) - gradient[i]));
        }
        Assert.True(worst < 1e-8, $"max |numeric − analytic| = {worst:E2}");
    }

    [Fact]
    public void Hidden_gradient_matches_central_differences()
    {
        var (heads, hidden) = Setup();
        var dHidden = new float[hidden.Length];
        MultitaskHeadLoss.Compute(heads, hidden, Labels, PositiveWeights, new double[heads.Parameters.Length], dHidden);

        var worst = 0.0;
        for (var i = 0; i < hidden.Length; i++)
        {
            var saved = hidden[i];
            // The loss is a double function of float inputs: difference over the steps floats can actually take.
            var (upValue, downValue) = (saved + 1e-2f, saved - 1e-2f);
            hidden[i] = upValue;
            var up = Loss(heads, hidden);
            hidden[i] = downValue;
            var down = Loss(heads, hidden);
            hidden[i] = saved;
            worst = Math.Max(worst, Math.Abs((up - down) / ((double)upValue - downValue) - dHidden[i]));
        }
        Assert.True(worst < 1e-5, $"max |numeric − analytic| = {worst:E2}");
    }

    [Fact]
    public void A_masked_task_contributes_no_loss_and_no_gradient()
    {
        var (heads, hidden) = Setup();
        sbyte[] labels = [1, 0, -1, 0, 1, -1, 1, 1, -1, 0, 0, -1]; // task 2 masked everywhere
        var (gradient, dHidden) = (new double[heads.Parameters.Length], new float[hidden.Length]);
        var (loss, labelled) = MultitaskHeadLoss.Compute(heads, hidden, labels, PositiveWeights, gradient, dHidden);

        Assert.Equal(8, labelled);
        Assert.All(gradient.AsSpan(2 * (C + 1), C + 1).ToArray(), g => Assert.Equal(0.0, g));
        for (var n = 0; n < N; n++)
            Assert.All(dHidden.AsSpan((n * K + 2) * C, C).ToArray(), g => Assert.Equal(0f, g));

        // Changing the masked head changes nothing.
        for (var j = 0; j < C + 1; j++)
            heads.Parameters[2 * (C + 1) + j] += 3.0;
        var (gradient2, dHidden2) = (new double[heads.Parameters.Length], new float[hidden.Length]);
        var (loss2, _) = MultitaskHeadLoss.Compute(heads, hidden, labels, PositiveWeights, gradient2, dHidden2);
        Assert.Equal(loss, loss2);
        Assert.Equal(gradient, gradient2);
        Assert.Equal(dHidden, dHidden2);
    }

    [Fact]
    public void No_labelled_pair_gives_zero_loss_and_gradients()
    {
        var (heads, hidden) = Setup();
        var labels = Enumerable.Repeat(PromptedExample.Masked, N * K).ToArray();
        var (gradient, dHidden) = (Enumerable.Repeat(1.0, heads.Parameters.Length).ToArray(), Enumerable.Repeat(1f, hidden.Length).ToArray());
        Assert.Equal((0.0, 0), MultitaskHeadLoss.Compute(heads, hidden, labels, PositiveWeights, gradient, dHidden));
        Assert.All(gradient, g => Assert.Equal(0.0, g));
        Assert.All(dHidden, g => Assert.Equal(0f, g));
    }

    private static double Loss(TaskHeads heads, float[] hidden) =>
        MultitaskHeadLoss.Compute(heads, hidden, Labels, PositiveWeights, new double[heads.Parameters.Length], new float[hidden.Length]).Loss;

    private static (TaskHeads Heads, float[] Hidden) Setup()
    {
        var random = new Random(7);
        var heads = new TaskHeads(["a", "b", "c"], C, tokenizerVocabularySize: 10, tokenizerFingerprint: 1);
        for (var i = 0; i < heads.Parameters.Length; i++)
            heads.Parameters[i] = random.NextDouble() - 0.5;
        var hidden = Enumerable.Range(0, N * K * C).Select(_ => (float)(2 * random.NextDouble() - 1)).ToArray();
        return (heads, hidden);
    }
}
