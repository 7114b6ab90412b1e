namespace FhirRisk.Model.Checkpoints;

/// <summary>
/// The element types we read and write, spelled in the header as safetensors spells them (<c>"F32"</c>, …). Every one
/// is stored little-endian, row-major ("C" order), as the format requires.
/// </summary>
public enum SafeTensorsDType
{
    F32,
    F64,
    I32,
    I64,
}

/// <summary>Sizes, header spellings and CLR types of <see cref="SafeTensorsDType"/>.</summary>
public static class SafeTensorsDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F32 or SafeTensorsDType.I32 => 4,
        SafeTensorsDType.F64 or SafeTensorsDType.I64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype this build supports."),
    };

    /// <summary>The dtype stored for elements of type <typeparamref name="T"/>; throws for types the format lacks here.</summary>
    public static SafeTensorsDType For<T>() where T : unmanaged =>
        TryFor<T>(out var dtype)
            ? dtype
            : throw new NotSupportedException($"{typeof(T).Name} has no safetensors dtype here; use float, double, int or long.");

    internal static bool TryFor<T>(out SafeTensorsDType dtype) where T : unmanaged
    {
        dtype = default;
        if (typeof(T) == typeof(float)) dtype = SafeTensorsDType.F32;
        else if (typeof(T) == typeof(double)) dtype = SafeTensorsDType.F64;
        else if (typeof(T) == typeof(int)) dtype = SafeTensorsDType.I32;
        else if (typeof(T) == typeof(long)) dtype = SafeTensorsDType.I64;
        else return false;
        return true;
    }

    /// <summary>Parses a header spelling; other valid safetensors dtypes (F16, BF16, U8, …) are reported as unsupported.</summary>
    internal static bool TryParse(string? text, out SafeTensorsDType dtype)
    {
        dtype = text switch
        {
            "F32" => SafeTensorsDType.F32,
            "F64" => SafeTensorsDType.F64,
            "I32" => SafeTensorsDType.I32,
            "I64" => SafeTensorsDType.I64,
            _ => (SafeTensorsDType)(-1),
        };
        return Enum.IsDefined(dtype);
    }
}
