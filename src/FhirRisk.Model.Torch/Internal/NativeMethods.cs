using System.Runtime.InteropServices;

namespace FhirRisk.Model.Torch.Internal;

/// <summary>
/// The C ABI of libfhirrisk_torch (native/include/fhirrisk_torch.h), one source-generated binding per function.
/// Pointers are <see cref="nint"/>; each buffer travels with its element count, which the shim checks against the
/// shape before it touches memory. Every function returns a <see cref="NativeStatus"/> code.
/// </summary>
internal static partial class NativeMethods
{
    /// <summary>The name the resolver (<see cref="NativeLibraryResolver"/>) maps to libfhirrisk_torch.so.</summary>
    public const string Library = "fhirrisk_torch";

    [LibraryImport(Library, EntryPoint = "frt_last_error")]
    public static partial nint LastError();

    [LibraryImport(Library, EntryPoint = "frt_version")]
    public static unsafe partial int Version(byte* buffer, int capacity);

    [LibraryImport(Library, EntryPoint = "frt_cuda_available")]
    public static partial int CudaDeviceCount();

    [LibraryImport(Library, EntryPoint = "frt_set_threads")]
    public static partial int SetThreads(int threads, out int inEffect);

    [LibraryImport(Library, EntryPoint = "frt_synchronize")]
    public static partial int Synchronize(int device);

    [LibraryImport(Library, EntryPoint = "frt_alloc")]
    public static partial int Alloc(long bytes, int device, out nint handle, out nint data);

    [LibraryImport(Library, EntryPoint = "frt_free")]
    public static partial int Free(nint handle);

    [LibraryImport(Library, EntryPoint = "frt_copy_h2d")]
    public static partial int CopyHostToDevice(nint destination, nint source, long bytes, int device);

    [LibraryImport(Library, EntryPoint = "frt_copy_d2h")]
    public static partial int CopyDeviceToHost(nint destination, nint source, long bytes, int device);

    [LibraryImport(Library, EntryPoint = "frt_copy_d2d")]
    public static partial int CopyDeviceToDevice(nint destination, nint source, long bytes, int device);

    [LibraryImport(Library, EntryPoint = "frt_memset0")]
    public static partial int Zero(nint destination, long bytes, int device);

    [LibraryImport(Library, EntryPoint = "frt_matmul_forward")]
    public static partial int MatMulForward(nint output, long nOutput, nint input, long nInput, nint weight, long nWeight,
        int N, int C, int OC, int device);

    [LibraryImport(Library, EntryPoint = "frt_matmul_backward")]
    public static partial int MatMulBackward(nint dinput, long nDinput, nint dweight, long nDweight, nint doutput, long nDoutput,
        nint input, long nInput, nint weight, long nWeight, int N, int C, int OC, int device);

    [LibraryImport(Library, EntryPoint = "frt_layernorm_forward")]
    public static partial int LayerNormForward(nint output, long nOutput, nint mean, long nMean, nint rstd, long nRstd,
        nint input, long nInput, nint weight, long nWeight, nint bias, long nBias, int N, int C, int device);

    [LibraryImport(Library, EntryPoint = "frt_layernorm_backward")]
    public static partial int LayerNormBackward(nint dinput, long nDinput, nint dweight, long nDweight, nint dbias, long nDbias,
        nint doutput, long nDoutput, nint input, long nInput, nint weight, long nWeight, nint mean, long nMean,
        nint rstd, long nRstd, int N, int C, int device);

    [LibraryImport(Library, EntryPoint = "frt_gelu_forward")]
    public static partial int GeluForward(nint output, long nOutput, nint input, long nInput, int device);

    [LibraryImport(Library, EntryPoint = "frt_gelu_backward")]
    public static partial int GeluBackward(nint dinput, long nDinput, nint input, long nInput, nint doutput, long nDoutput, int device);

    [LibraryImport(Library, EntryPoint = "frt_residual_forward")]
    public static partial int ResidualForward(nint output, long nOutput, nint a, long nA, nint b, long nB, int device);

    [LibraryImport(Library, EntryPoint = "frt_embedding_forward")]
    public static partial int EmbeddingForward(nint output, long nOutput, nint tokens, long nTokens, nint wte, long nWte,
        nint wpe, long nWpe, int B, int T, int C, int device);

    [LibraryImport(Library, EntryPoint = "frt_embedding_forward_at")]
    public static partial int EmbeddingForwardAt(nint output, long nOutput, nint tokens, long nTokens, nint positions,
        long nPositions, nint wte, long nWte, nint wpe, long nWpe, int C, int device);

    [LibraryImport(Library, EntryPoint = "frt_embedding_backward")]
    public static partial int EmbeddingBackward(nint dwte, long nDwte, nint dwpe, long nDwpe, nint doutput, long nDoutput,
        nint tokens, long nTokens, int B, int T, int C, int device);

    [LibraryImport(Library, EntryPoint = "frt_cross_entropy_forward")]
    public static partial int CrossEntropyForward(nint losses, long nLosses, nint logits, long nLogits, nint targets,
        long nTargets, int N, int V, int Vp, out float mean, int device);

    [LibraryImport(Library, EntryPoint = "frt_cross_entropy_backward")]
    public static partial int CrossEntropyBackward(nint dlogits, long nDlogits, nint logits, long nLogits, nint targets,
        long nTargets, int N, int V, int Vp, int device);

    [LibraryImport(Library, EntryPoint = "frt_attention_forward")]
    public static partial int AttentionForward(nint output, long nOutput, nint stats, long nStats, nint qkv, long nQkv,
        int B, int T, int C, int NH, int device);

    [LibraryImport(Library, EntryPoint = "frt_attention_backward")]
    public static partial int AttentionBackward(nint dqkv, long nDqkv, nint doutput, long nDoutput, nint qkv, long nQkv,
        nint output, long nOutput, nint stats, long nStats, int B, int T, int C, int NH, int device);

    [LibraryImport(Library, EntryPoint = "frt_cache_write")]
    public static partial int CacheWrite(nint kCache, long nKCache, nint vCache, long nVCache, nint qkv, long nQkv,
        nint slots, nint positions, long nRows, int maxT, int C, int device);

    [LibraryImport(Library, EntryPoint = "frt_cache_attend")]
    public static partial int CacheAttend(nint output, long nOutput, nint qkv, long nQkv, nint kCache, long nKCache,
        nint vCache, long nVCache, nint slots, nint positions, long nRows, int maxT, int C, int NH, int device);

    [LibraryImport(Library, EntryPoint = "frt_gather_rows")]
    public static partial int GatherRows(nint destination, long nDestination, nint source, long nSource, nint rows, long nRows,
        int width, int device);

    [LibraryImport(Library, EntryPoint = "frt_scatter_rows")]
    public static partial int ScatterRows(nint destination, long nDestination, nint source, long nSource, nint rows, long nRows,
        int width, int device);

    [LibraryImport(Library, EntryPoint = "frt_dropout_forward")]
    public static partial int DropoutForward(nint output, long nOutput, nint input, long nInput, float p, ulong seed,
        ulong callIndex, int device);

    [LibraryImport(Library, EntryPoint = "frt_dropout_backward")]
    public static partial int DropoutBackward(nint dinput, long nDinput, nint doutput, long nDoutput, float p, ulong seed,
        ulong callIndex, int device);

    [LibraryImport(Library, EntryPoint = "frt_philox_fill")]
    public static partial int PhiloxFill(nint words, long n, ulong seed, ulong stream, ulong offset, int useAten);

    [LibraryImport(Library, EntryPoint = "frt_adamw")]
    public static partial int AdamW(nint parameters, nint grads, nint m, nint v, long n, int step, double learningRate,
        double beta1, double beta2, double eps, double weightDecay, nint decayRanges, int rangeCount, int device);

    [LibraryImport(Library, EntryPoint = "frt_clip_grad_norm")]
    public static partial int ClipGradNorm(nint grads, long n, float maxNorm, out float norm, int device);
}
