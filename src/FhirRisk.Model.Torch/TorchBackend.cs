using System.Diagnostics.CodeAnalysis;
using FhirRisk.Model.Compute;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Torch.Internal;
using static FhirRisk.Model.Torch.Internal.NativeStatus;
using Native = FhirRisk.Model.Torch.Internal.NativeMethods;

namespace FhirRisk.Model.Torch;

/// <summary>
/// The kernels of <see cref="IComputeBackend"/> as ATen calls in the C shim libfhirrisk_torch (native/, DESIGN §5):
/// on the CPU for parity tests against <see cref="CpuBackend"/>, on CUDA for training on a GPU machine. Buffers are
/// shim allocations; every call passes raw pointers with their element counts, which the shim checks against the
/// shape, so a bad shape throws (an <see cref="ArgumentException"/>, or a <see cref="TorchException"/> when ATen
/// itself refuses) and never touches memory it does not own.
/// </summary>
/// <remarks>
/// Index inputs (tokens, targets, positions, lengths, rows) are range-checked in the shim; on CUDA that check is a
/// small device-to-host copy, so each kernel that takes indices synchronises. The thread count is libtorch's intra-op
/// setting, which is process-wide.
/// </remarks>
public sealed unsafe class TorchBackend : IComputeBackend
{
    private readonly int _device;

    /// <summary>Loads the shim and binds the backend to a device.</summary>
    /// <param name="device">The CPU or a CUDA device.</param>
    /// <param name="threads">libtorch's intra-op threads; 0 keeps libtorch's choice.</param>
    /// <exception cref="DllNotFoundException">libfhirrisk_torch.so (or libtorch) cannot be loaded; see <see cref="TryLoad"/>.</exception>
    /// <exception cref="InvalidOperationException">The CUDA device does not exist.</exception>
    public TorchBackend(TorchDevice device, int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        NativeLibraryResolver.Register();
        var devices = Native.CudaDeviceCount();
        if (!device.IsCpu && device.Code >= devices)
            throw new InvalidOperationException($"Torch device {device} requested, but libtorch sees {devices} CUDA device(s) ({NativeVersion}).");
        Check(Native.SetThreads(threads, out var inEffect));
        Device = device;
        Threads = inEffect;
        _device = device.Code;
    }

    /// <summary>The device the buffers live on.</summary>
    public TorchDevice Device { get; }

    /// <summary>libtorch's intra-op thread count in effect.</summary>
    public int Threads { get; }

    /// <inheritdoc/>
    public string Name => $"torch-{Device}";

    /// <summary>"torch major.minor.patch, n CUDA device(s)" from the loaded shim.</summary>
    public static string NativeVersion
    {
        get
        {
            NativeLibraryResolver.Register();
            Span<byte> text = stackalloc byte[128];
            fixed (byte* p = text)
            {
                Check(Native.Version(p, text.Length));
            }

            return System.Text.Encoding.UTF8.GetString(text[..text.IndexOf((byte)0)]);
        }
    }

    /// <summary>Whether the shim loads and the device exists, with a reason a host can print when not.</summary>
    /// <param name="device">The device to check.</param>
    /// <param name="reason">Why not; null when the backend can be created.</param>
    public static bool TryLoad(TorchDevice device, [NotNullWhen(false)] out string? reason)
    {
        try
        {
            var version = NativeVersion;
            if (!device.IsCpu && device.Code >= Native.CudaDeviceCount())
            {
                reason = $"Torch device {device} requested, but the shim reports {version}.";
                return false;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            reason = $"{NativeLibraryResolver.FileName} could not be loaded ({NativeLibraryResolver.LastFailure ?? e.Message}). " +
                $"Build it with native/build.sh and set {NativeLibraryResolver.EnvironmentVariable} to it (native/README.md).";
            return false;
        }

        reason = null;
        return true;
    }

    /// <inheritdoc/>
    public DeviceBuffer<float> Allocate(long length) => new TorchBuffer<float>(this, length);

    /// <inheritdoc/>
    public DeviceBuffer<int> AllocateInt(long length) => new TorchBuffer<int>(this, length);

    /// <inheritdoc/>
    public void Upload<T>(ReadOnlySpan<T> source, DeviceView<T> destination)
        where T : unmanaged
    {
        RequireLength(source.Length, destination.Length);
        fixed (T* s = source)
        {
            Check(Native.CopyHostToDevice(Address(destination), (nint)s, (long)source.Length * sizeof(T), _device));
        }
    }

    /// <inheritdoc/>
    public void Download<T>(DeviceView<T> source, Span<T> destination)
        where T : unmanaged
    {
        RequireLength(destination.Length, source.Length);
        fixed (T* d = destination)
        {
            Check(Native.CopyDeviceToHost((nint)d, Address(source), (long)source.Length * sizeof(T), _device));
        }
    }

    /// <inheritdoc/>
    public void Zero(DeviceView<float> x) => Check(Native.Zero(Address(x), (long)x.Length * sizeof(float), _device));

    /// <inheritdoc/>
    public void Copy(DeviceView<float> source, DeviceView<float> destination)
    {
        RequireLength(source.Length, destination.Length);
        Check(Native.CopyDeviceToDevice(Address(destination), Address(source), (long)source.Length * sizeof(float), _device));
    }

    /// <inheritdoc/>
    public void Synchronize() => Check(Native.Synchronize(_device));

    /// <inheritdoc/>
    public void MatMulForward(DeviceView<float> output, DeviceView<float> input, DeviceView<float> weight, int N, int C, int OC) =>
        Check(Native.MatMulForward(Address(output), output.Length, Address(input), input.Length, Address(weight), weight.Length, N, C, OC, _device));

    /// <inheritdoc/>
    public void MatMulBackward(DeviceView<float> dinput, DeviceView<float> dweight, DeviceView<float> doutput,
        DeviceView<float> input, DeviceView<float> weight, int N, int C, int OC) =>
        Check(Native.MatMulBackward(Address(dinput), dinput.Length, Address(dweight), dweight.Length, Address(doutput), doutput.Length,
            Address(input), input.Length, Address(weight), weight.Length, N, C, OC, _device));

    /// <inheritdoc/>
    public void LayerNormForward(DeviceView<float> output, DeviceView<float> mean, DeviceView<float> rstd, DeviceView<float> input,
        DeviceView<float> weight, DeviceView<float> bias, int N, int C) =>
        Check(Native.LayerNormForward(Address(output), output.Length, Address(mean), mean.Length, Address(rstd), rstd.Length,
            Address(input), input.Length, Address(weight), weight.Length, Address(bias), bias.Length, N, C, _device));

    /// <inheritdoc/>
    public void LayerNormBackward(DeviceView<float> dinput, DeviceView<float> dweight, DeviceView<float> dbias, DeviceView<float> doutput,
        DeviceView<float> input, DeviceView<float> weight, DeviceView<float> mean, DeviceView<float> rstd, int N, int C) =>
        Check(Native.LayerNormBackward(Address(dinput), dinput.Length, Address(dweight), dweight.Length, Address(dbias), dbias.Length,
            Address(doutput), doutput.Length, Address(input), input.Length, Address(weight), weight.Length,
            Address(mean), mean.Length, Address(rstd), rstd.Length, N, C, _device));

    /// <inheritdoc/>
    public void AttentionForward(DeviceView<float> output, DeviceView<float> stats, DeviceView<float> qkv, int B, int T, int C, int NH) =>
        Check(Native.AttentionForward(Address(output), output.Length, Address(stats), stats.Length, Address(qkv), qkv.Length, B, T, C, NH, _device));

    /// <inheritdoc/>
    public void AttentionBackward(DeviceView<float> dqkv, DeviceView<float> doutput, DeviceView<float> qkv, DeviceView<float> output,
        DeviceView<float> stats, int B, int T, int C, int NH) =>
        Check(Native.AttentionBackward(Address(dqkv), dqkv.Length, Address(doutput), doutput.Length, Address(qkv), qkv.Length,
            Address(output), output.Length, Address(stats), stats.Length, B, T, C, NH, _device));

    /// <inheritdoc/>
    public void GeluForward(DeviceView<float> output, DeviceView<float> input) =>
        Check(Native.GeluForward(Address(output), output.Length, Address(input), input.Length, _device));

    /// <inheritdoc/>
    public void GeluBackward(DeviceView<float> dinput, DeviceView<float> input, DeviceView<float> doutput) =>
        Check(Native.GeluBackward(Address(dinput), dinput.Length, Address(input), input.Length, Address(doutput), doutput.Length, _device));

    /// <inheritdoc/>
    public void ResidualForward(DeviceView<float> output, DeviceView<float> a, DeviceView<float> b) =>
        Check(Native.ResidualForward(Address(output), output.Length, Address(a), a.Length, Address(b), b.Length, _device));

    /// <inheritdoc/>
    public void EmbeddingForward(DeviceView<float> output, DeviceView<int> tokens, DeviceView<float> wte, DeviceView<float> wpe, int B, int T, int C) =>
        Check(Native.EmbeddingForward(Address(output), output.Length, Address(tokens), tokens.Length, Address(wte), wte.Length,
            Address(wpe), wpe.Length, B, T, C, _device));

    /// <inheritdoc/>
    public void EmbeddingForward(DeviceView<float> output, DeviceView<int> tokens, DeviceView<int> positions, DeviceView<float> wte,
        DeviceView<float> wpe, int C) =>
        Check(Native.EmbeddingForwardAt(Address(output), output.Length, Address(tokens), tokens.Length, Address(positions), positions.Length,
            Address(wte), wte.Length, Address(wpe), wpe.Length, C, _device));

    /// <inheritdoc/>
    public void EmbeddingBackward(DeviceView<float> dwte, DeviceView<float> dwpe, DeviceView<float> doutput, DeviceView<int> tokens, int B, int T, int C) =>
        Check(Native.EmbeddingBackward(Address(dwte), dwte.Length, Address(dwpe), dwpe.Length, Address(doutput), doutput.Length,
            Address(tokens), tokens.Length, B, T, C, _device));

    /// <inheritdoc/>
    public float CrossEntropyForward(DeviceView<float> losses, DeviceView<float> logits, DeviceView<int> targets, int N, int V, int Vp)
    {
        Check(Native.CrossEntropyForward(Address(losses), losses.Length, Address(logits), logits.Length, Address(targets), targets.Length,
            N, V, Vp, out var mean, _device));
        return mean;
    }

    /// <inheritdoc/>
    public void CrossEntropyBackward(DeviceView<float> dlogits, DeviceView<float> logits, DeviceView<int> targets, int N, int V, int Vp) =>
        Check(Native.CrossEntropyBackward(Address(dlogits), dlogits.Length, Address(logits), logits.Length, Address(targets), targets.Length,
            N, V, Vp, _device));

    /// <inheritdoc/>
    public void DropoutForward(DeviceView<float> output, DeviceView<float> input, float p, ulong seed, ulong callIndex) =>
        Check(Native.DropoutForward(Address(output), output.Length, Address(input), input.Length, p, seed, callIndex, _device));

    /// <inheritdoc/>
    public void DropoutBackward(DeviceView<float> dinput, DeviceView<float> doutput, float p, ulong seed, ulong callIndex) =>
        Check(Native.DropoutBackward(Address(dinput), dinput.Length, Address(doutput), doutput.Length, p, seed, callIndex, _device));

    /// <inheritdoc/>
    public void AdamW(DeviceView<float> parameters, DeviceView<float> grads, DeviceView<float> m, DeviceView<float> v, int step,
        double learningRate, double beta1, double beta2, double eps, double weightDecay, DecayMask? decayMask)
    {
        if (grads.Length != parameters.Length || m.Length != parameters.Length || v.Length != parameters.Length)
            throw new ArgumentException($"Parameter, gradient and moment buffers differ in length ({parameters.Length}, {grads.Length}, {m.Length}, {v.Length}).");
        if (decayMask is not null && decayMask.ParameterCount != parameters.Length)
            throw new ArgumentException($"The decay mask describes {decayMask.ParameterCount} parameters, the buffer holds {parameters.Length}.", nameof(decayMask));

        // (offset, length) pairs; −1 ranges tells the shim that every element decays.
        var ranges = decayMask is null ? [] : DecayRanges(decayMask);
        fixed (long* r = ranges)
        {
            Check(Native.AdamW(Address(parameters), Address(grads), Address(m), Address(v), parameters.Length, step, learningRate,
                beta1, beta2, eps, weightDecay, (nint)r, decayMask is null ? -1 : ranges.Length / 2, _device));
        }
    }

    /// <inheritdoc/>
    public float ClipGradientNorm(DeviceView<float> grads, float maxNorm)
    {
        Check(Native.ClipGradNorm(Address(grads), grads.Length, maxNorm, out var norm, _device));
        return norm;
    }

    /// <inheritdoc/>
    public void CacheWrite(DeviceView<float> kCache, DeviceView<float> vCache, DeviceView<float> qkv, DeviceView<int> slots, DeviceView<int> positions, int maxT, int C)
    {
        RequireSameLength(slots, positions);
        Check(Native.CacheWrite(Address(kCache), kCache.Length, Address(vCache), vCache.Length, Address(qkv), qkv.Length,
            Address(slots), Address(positions), slots.Length, maxT, C, _device));
    }

    /// <inheritdoc/>
    public void CacheAttend(DeviceView<float> output, DeviceView<float> qkv, DeviceView<float> kCache, DeviceView<float> vCache,
        DeviceView<int> slots, DeviceView<int> positions, int maxT, int C, int NH)
    {
        RequireSameLength(slots, positions);
        Check(Native.CacheAttend(Address(output), output.Length, Address(qkv), qkv.Length, Address(kCache), kCache.Length,
            Address(vCache), vCache.Length, Address(slots), Address(positions), slots.Length, maxT, C, NH, _device));
    }

    private static void RequireSameLength(DeviceView<int> slots, DeviceView<int> positions)
    {
        if (positions.Length != slots.Length)
            throw new ArgumentException($"positions must hold one value per row ({slots.Length}).", nameof(positions));
    }

    /// <inheritdoc/>
    public void GatherRows(DeviceView<float> destination, DeviceView<float> source, DeviceView<int> rows, int width) =>
        Check(Native.GatherRows(Address(destination), destination.Length, Address(source), source.Length, Address(rows), rows.Length, width, _device));

    /// <inheritdoc/>
    public void ScatterRows(DeviceView<float> destination, DeviceView<float> source, DeviceView<int> rows, int width) =>
        Check(Native.ScatterRows(Address(destination), destination.Length, Address(source), source.Length, Address(rows), rows.Length, width, _device));

    /// <summary>The buffers own their memory; nothing is held by the backend itself.</summary>
    public void Dispose()
    {
    }

    /// <summary>Address of a view's first element, after checking that this backend owns the live buffer.</summary>
    private nint Address<T>(DeviceView<T> view)
        where T : unmanaged
    {
        if (view.Buffer is not TorchBuffer<T> buffer || !ReferenceEquals(buffer.Backend, this))
            throw new ArgumentException($"The view's buffer belongs to the '{view.Buffer?.Backend.Name}' backend, not to this Torch backend ({Name}).", nameof(view));
        ObjectDisposedException.ThrowIf(buffer.IsDisposed, buffer);
        return buffer.Data + (nint)(view.Offset * sizeof(T));
    }

    private static long[] DecayRanges(DecayMask mask)
    {
        var decayed = mask.Decayed;
        var pairs = new long[2 * decayed.Length];
        for (var i = 0; i < decayed.Length; i++)
            (pairs[2 * i], pairs[2 * i + 1]) = (decayed[i].Offset, decayed[i].Length);
        return pairs;
    }

    private static void RequireLength(int source, int destination)
    {
        if (source != destination)
            throw new ArgumentException($"Copy of {source} elements into a view of {destination}.");
    }
}
