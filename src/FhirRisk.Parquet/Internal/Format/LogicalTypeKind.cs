namespace FhirRisk.Parquet.Internal.Format;

/// <summary>
/// Members of the parquet.thrift <c>LogicalType</c> union. Values are the union's field ids; <see cref="Other"/> is a
/// member this library does not know (VARIANT, GEOMETRY, … or anything newer), kept as raw bytes.
/// </summary>
internal enum LogicalTypeKind
{
    Other = 0,
    String = 1,
    Map = 2,
    List = 3,
    Enum = 4,
    Decimal = 5,
    Date = 6,
    Time = 7,
    Timestamp = 8,
    Integer = 10,
    Unknown = 11,
    Json = 12,
    Bson = 13,
    Uuid = 14,
    Float16 = 15,
}

/// <summary>
/// Members of the parquet.thrift <c>TimeUnit</c> union (field id = value + 1). An unknown member is stored as its
/// field id − 1, outside the named range, so the schema reader can report it as unsupported.
/// </summary>
internal enum TimeUnitKind
{
    Millis = 0,
    Micros = 1,
    Nanos = 2,
}
