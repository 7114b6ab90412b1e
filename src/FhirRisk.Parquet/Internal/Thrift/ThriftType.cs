namespace FhirRisk.Parquet.Internal.Thrift;

/// <summary>
/// The 4-bit type codes of the Thrift compact protocol (thrift-compact-protocol.md, "Struct encoding"). Field headers
/// carry booleans in the type itself (<see cref="BooleanTrue"/>/<see cref="BooleanFalse"/>); inside containers a bool
/// element type is either code and each element is one byte.
/// </summary>
internal enum ThriftType : byte
{
    Stop = 0,
    BooleanTrue = 1,
    BooleanFalse = 2,
    Byte = 3,
    I16 = 4,
    I32 = 5,
    I64 = 6,
    Double = 7,
    Binary = 8,
    List = 9,
    Set = 10,
    Map = 11,
    Struct = 12,
}

internal static class ThriftTypeFacts
{
    public static bool IsBool(this ThriftType type) => type is ThriftType.BooleanTrue or ThriftType.BooleanFalse;

    public static bool IsValid(this ThriftType type) => type is >= ThriftType.BooleanTrue and <= ThriftType.Struct;

    /// <summary>
    /// The fewest bytes one value of <paramref name="type"/> can occupy inside a container. Used to reject element counts
    /// that cannot fit in the remaining input before anything is allocated.
    /// </summary>
    public static int MinimumEncodedSize(this ThriftType type) => type == ThriftType.Double ? 8 : 1;
}
