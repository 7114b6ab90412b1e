using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// One worker's pack buffers: a block of packed A, a panel of packed B and an edge tile. They are pinned (pointers
/// stay valid without <c>fixed</c>) and 64-byte aligned (a zmm load never splits a cache line), and they come from
/// a process-wide pool so that a GEMM allocates nothing once every worker has grown its buffers to the largest
/// problem it has seen.
/// </summary>
internal sealed unsafe class GemmScratch
{
    private const int AlignmentFloats = 16;

    private static readonly Stack<GemmScratch> s_pool = new();

    private float[] _packedA = [];
    private float[] _packedB = [];
    private float[] _tile = [];

    public float* PackedA { get; private set; }

    public float* PackedB { get; private set; }

    public float* Tile { get; private set; }

    public static GemmScratch Rent()
    {
        lock (s_pool)
        {
            if (s_pool.TryPop(out var scratch))
                return scratch;
        }

        return new GemmScratch();
    }

    public static void Return(GemmScratch scratch)
    {
        lock (s_pool)
            s_pool.Push(scratch);
    }

    /// <summary>Grows the buffers to at least the given lengths (in floats); contents are unspecified afterwards.</summary>
    public void Ensure(int packedALength, int packedBLength, int tileLength)
    {
        if (_packedA.Length < packedALength + AlignmentFloats)
            PackedA = Allocate(packedALength, out _packedA);
        if (_packedB.Length < packedBLength + AlignmentFloats)
            PackedB = Allocate(packedBLength, out _packedB);
        if (_tile.Length < tileLength + AlignmentFloats)
            Tile = Allocate(tileLength, out _tile);
    }

    private static float* Allocate(int length, out float[] array)
    {
        array = GC.AllocateUninitializedArray<float>(length + AlignmentFloats, pinned: true);
        var address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        var aligned = (address + AlignmentFloats * sizeof(float) - 1) & ~(nint)(AlignmentFloats * sizeof(float) - 1);
        return (float*)aligned;
    }
}
