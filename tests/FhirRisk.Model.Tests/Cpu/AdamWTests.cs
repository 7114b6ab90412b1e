using FhirRisk.Model.Cpu;
using FhirRisk.Model.Cpu.Reference;
using Xunit.Abstractions;

namespace FhirRisk.Model.Tests.Cpu;

public sealed class AdamWTests(ITestOutputHelper output)
{
    [Fact]
    public void Step_TwoStepsOfTinyCase_MatchHandComputedPyTorchFormula()
    {
        // Arrange: lr 0.1, wd 0.1, β 0.9/0.95, eps 1e-8. Element 0 decays (θ = 1), element 1 does not (θ = −2);
        // gradients 0.5 then −0.25 for both. By hand, from torch.optim.AdamW's single-tensor update:
        // step 1: θ0 ← 1·(1 − 0.1·0.1) = 0.99; m = 0.1·0.5 = 0.05; v = 0.05·0.25 = 0.0125;
        //         1 − β1 = 0.1, 1 − β2 = 0.05; step size 0.1/0.1 = 1; denom = √0.0125/√0.05 + 1e-8 = 0.50000001;
        //         θ0 = 0.99 − 0.05/0.50000001 = 0.890000002;   θ1 = −2 − 0.1 = −2.099999998.
        // step 2: θ0 ← 0.89·0.99 = 0.8811; m = 0.05 + 0.1·(−0.25 − 0.05) = 0.02; v = 0.0125·0.95 + 0.05·0.0625 = 0.015;
        //         1 − β1² = 0.19, 1 − β2² = 0.0975; step size 0.1/0.19 = 0.5263158; denom = √(0.015/0.0975) = 0.3922323;
        //         update = 0.5263158·0.02/0.3922323 = 0.0268369;
        //         θ0 = 0.8811 − 0.0268369 = 0.8542631;   θ1 = −2.1 − 0.0268369 = −2.1268369.
        float[] parameters = [1f, -2f];
        var (m, v) = (new float[2], new float[2]);
        var mask = new DecayMask(2, [new ParameterRange(0, 1)]);

        // Act / Assert
        AdamW.Step(parameters, [0.5f, 0.5f], m, v, step: 1, learningRate: 0.1, weightDecay: 0.1, decayMask: mask);
        Assert.Equal(0.890000002f, parameters[0], 1e-6f);
        Assert.Equal(-2.099999998f, parameters[1], 1e-6f);
        Assert.Equal([0.05f, 0.05f], m);
        Assert.Equal(0.0125f, v[0], 1e-9f);

        AdamW.Step(parameters, [-0.25f, -0.25f], m, v, step: 2, learningRate: 0.1, weightDecay: 0.1, decayMask: mask);
        Assert.Equal(0.8542631f, parameters[0], 1e-6f);
        Assert.Equal(-2.1268369f, parameters[1], 1e-6f);
        Assert.Equal(0.02f, m[0], 1e-8f);
        Assert.Equal(0.015f, v[0], 1e-9f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(127)]
    [InlineData(100_003)]
    public void Step_SeveralSteps_MatchDoubleReference(int n)
    {
        // Arrange: a mask that decays two interior ranges, as a model's matrices between its layernorm gains.
        var random = new Random(n);
        var mask = new DecayMask(n, [new ParameterRange(n / 4, n / 3), new ParameterRange(n - n / 5, n / 5)]);
        var parameters = RandomNormal(random, n);
        var (m, v) = (new float[n], new float[n]);
        var referenceParameters = parameters.Select(x => (double)x).ToArray();
        var (referenceM, referenceV) = (new double[n], new double[n]);

        // Act
        for (var step = 1; step <= 5; step++)
        {
            var grads = RandomNormal(random, n);
            AdamW.Step(parameters, grads, m, v, step, learningRate: 1e-2, weightDecay: 0.1, decayMask: mask, options: new ComputeOptions(2));
            ReferenceOptim.AdamWStep(referenceParameters, [.. grads.Select(g => (double)g)], referenceM, referenceV, step,
                learningRate: 1e-2, weightDecay: 0.1, decayMask: mask);
        }

        // Assert
        var maxDiff = parameters.Zip(referenceParameters).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"n={n}: max |θ − θ_ref| after 5 steps = {maxDiff:E2}");
        for (var i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(parameters[i] - referenceParameters[i]) <= 1e-6 + 1e-6 * Math.Abs(referenceParameters[i]),
                $"θ[{i}] = {parameters[i]}, reference {referenceParameters[i]}");
        }
    }

    [Fact]
    public void Step_OneOrTwoThreads_GiveIdenticalBits()
    {
        // Arrange
        const int n = 4 * 32768 + 11;
        var random = new Random(3);
        var parameters = RandomNormal(random, n);
        var grads = RandomNormal(random, n);
        var (p1, m1, v1) = ((float[])parameters.Clone(), new float[n], new float[n]);
        var (p2, m2, v2) = ((float[])parameters.Clone(), new float[n], new float[n]);

        // Act
        for (var step = 1; step <= 3; step++)
        {
            AdamW.Step(p1, grads, m1, v1, step, 3e-4, options: ComputeOptions.SingleThreaded);
            AdamW.Step(p2, grads, m2, v2, step, 3e-4, options: new ComputeOptions(2));
        }

        // Assert
        Assert.Equal(p1, p2);
        Assert.Equal(m1, m2);
        Assert.Equal(v1, v2);
    }

    [Fact]
    public void Step_VectorBodyAndScalarTail_GiveIdenticalBits()
    {
        // Arrange: a 67-element buffer runs mostly through the SIMD body; one-element buffers only through the tail.
        const int n = 67;
        var random = new Random(5);
        var parameters = RandomNormal(random, n);
        var grads = RandomNormal(random, n);
        var (m, v) = (RandomNormal(random, n), RandomNormal(random, n).Select(x => x * x).ToArray());
        var (single, singleM, singleV) = ((float[])parameters.Clone(), (float[])m.Clone(), (float[])v.Clone());

        // Act
        AdamW.Step(parameters, grads, m, v, step: 7, learningRate: 1e-3, weightDecay: 0.1);
        for (var i = 0; i < n; i++)
        {
            AdamW.Step(single.AsSpan(i, 1), grads.AsSpan(i, 1), singleM.AsSpan(i, 1), singleV.AsSpan(i, 1), step: 7, learningRate: 1e-3, weightDecay: 0.1);
        }

        // Assert
        Assert.Equal(single, parameters);
        Assert.Equal(singleM, m);
        Assert.Equal(singleV, v);
    }

    [Fact]
    public void Step_ZeroGradients_DecaysExactlyTheMaskedRanges()
    {
        // Arrange: with g = 0 the moments stay 0 and the Adam term is 0/(0 + eps) = 0, so only the decay moves θ.
        const int n = 100;
        var parameters = Enumerable.Repeat(2f, n).ToArray();
        var mask = new DecayMask(n, [new ParameterRange(60, 40), new ParameterRange(10, 20)]);

        // Act
        AdamW.Step(parameters, new float[n], new float[n], new float[n], step: 1, learningRate: 0.5, weightDecay: 0.1, decayMask: mask);

        // Assert
        for (var i = 0; i < n; i++)
        {
            var decays = i is >= 10 and < 30 or >= 60;
            Assert.Equal(decays ? 2f * (float)(1 - 0.5 * 0.1) : 2f, parameters[i]);
            Assert.Equal(decays, mask.Decays(i));
        }
    }

    [Fact]
    public void DecayMask_OverlappingOrOutsideRanges_Throw()
    {
        Assert.Throws<ArgumentException>(() => new DecayMask(10, [new ParameterRange(0, 5), new ParameterRange(4, 2)]));
        Assert.Throws<ArgumentException>(() => new DecayMask(10, [new ParameterRange(8, 3)]));
        Assert.Throws<ArgumentException>(() => AdamW.Step(new float[4], new float[4], new float[4], new float[4], 1, 0.1,
            decayMask: new DecayMask(5, [])));
    }

    [Fact]
    public void Step_StepZero_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AdamW.Step(new float[1], new float[1], new float[1], new float[1], step: 0, 0.1));
    }

    [Fact]
    public void LearningRateSchedule_WarmupThenCosine_HitsItsLandmarks()
    {
        // Arrange
        var schedule = new LearningRateSchedule(MaxLearningRate: 6e-4, WarmupSteps: 10, TotalSteps: 110, MinFraction: 0.1);

        // Act / Assert: linear to the peak, half-way down the cosine at the midpoint, then the floor.
        Assert.Equal(6e-5, schedule.At(1), 12);
        Assert.Equal(3e-4, schedule.At(5), 12);
        Assert.Equal(6e-4, schedule.At(10), 12);
        Assert.Equal((6e-4 + 6e-5) / 2, schedule.At(60), 12);
        Assert.Equal(6e-5, schedule.At(110), 12);
        Assert.Equal(6e-5, schedule.At(500), 12);
        var decaying = Enumerable.Range(10, 101).Select(schedule.At).ToArray();
        Assert.True(decaying.Zip(decaying.Skip(1)).All(p => p.Second < p.First));
    }

    [Fact]
    public void LearningRateSchedule_NoWarmup_FollowsCosineFromFirstStep()
    {
        var schedule = new LearningRateSchedule(1e-3, WarmupSteps: 0, TotalSteps: 100, MinFraction: 0);
        Assert.Equal(1e-3 * 0.5 * (1 + Math.Cos(Math.PI / 100)), schedule.At(1), 15);
        Assert.Equal(0, schedule.At(100));
    }

    private static float[] RandomNormal(Random random, int n) =>
        [.. Enumerable.Range(0, n).Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];
}
