using FhirRisk.Model.Cpu;
using FhirRisk.Model.Tests.Cpu.Kernels;

namespace FhirRisk.Model.Tests.Gpt;

/// <summary>Seeded token batches for the model tests.</summary>
internal static class GptTestBatches
{
    /// <summary>(B·T) token ids in [0, V).</summary>
    public static int[] Tokens(int seed, int length, int vocab) => LayerTestTensors.Tokens(seed, length, vocab);

    /// <summary>(B·T) targets in [0, V) with every fifth row (from row 2) set to the ignore index.</summary>
    public static int[] Targets(int seed, int length, int vocab)
    {
        var targets = LayerTestTensors.Tokens(seed, length, vocab);
        for (var i = 2; i < length; i += 5)
            targets[i] = SoftmaxCrossEntropy.IgnoreIndex;
        return targets;
    }
}
