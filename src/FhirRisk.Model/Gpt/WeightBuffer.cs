using FhirRisk.Model.Compute;
using FhirRisk.Model.Cpu;

namespace FhirRisk.Model.Gpt;

/// <summary>Where a model's weights live on a backend: the host array itself on the CPU backend (so training updates
/// <see cref="GptParameters.Values"/> directly and a checkpoint needs no copy), an uploaded copy anywhere else.</summary>
internal static class WeightBuffer
{
    public static DeviceBuffer<float> For(GptParameters parameters, IComputeBackend backend)
    {
        if (backend is CpuBackend cpu)
            return cpu.Wrap(parameters.Values);
        var weights = backend.Allocate(parameters.Values.Length);
        weights.CopyFrom(parameters.Values);
        return weights;
    }

    public static void CopyToHost(DeviceBuffer<float> weights, GptParameters parameters)
    {
        if (weights.Backend is not CpuBackend)
            weights.Backend.Download(weights.All, parameters.Values);
    }
}
