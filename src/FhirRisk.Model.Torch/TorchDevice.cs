using System.Globalization;

namespace FhirRisk.Model.Torch;

/// <summary>Where the Torch backend's buffers live and its kernels run: the CPU, or CUDA device n.</summary>
/// <param name="Code">The shim's device code: −1 for the CPU, n ≥ 0 for cuda:n.</param>
public readonly record struct TorchDevice(int Code)
{
    /// <summary>The CPU (libtorch's CPU kernels over host memory).</summary>
    public static TorchDevice Cpu => new(-1);

    /// <summary>Whether this is the CPU.</summary>
    public bool IsCpu => Code < 0;

    /// <summary>CUDA device <paramref name="index"/>.</summary>
    /// <param name="index">The device ordinal, from 0.</param>
    public static TorchDevice Cuda(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new TorchDevice(index);
    }

    /// <summary>Parses "cpu", "cuda" (device 0) or "cuda:n", as PyTorch spells devices.</summary>
    /// <param name="text">The device name.</param>
    public static TorchDevice Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "cpu")
            return Cpu;
        if (text == "cuda")
            return Cuda(0);
        if (text.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            return Cuda(index);
        throw new ArgumentException($"Unknown Torch device '{text}'; use cpu, cuda or cuda:<n>.", nameof(text));
    }

    /// <summary>"cpu" or "cuda:n".</summary>
    public override string ToString() => IsCpu ? "cpu" : $"cuda:{Code}";
}
