using System.Buffers.Binary;
using System.Text;

namespace FhirRisk.Model.Tests.Checkpoints;

/// <summary>Assembles safetensors bytes by hand from the format's definition, for expected bytes and broken files.</summary>
internal static class SafeTensorsFiles
{
    /// <summary>8-byte little-endian length, then <paramref name="json"/> padded with spaces to a multiple of 8, then data.</summary>
    public static byte[] Assemble(string json, byte[] data, bool pad = true) => Assemble(Encoding.UTF8.GetBytes(json), data, pad);

    /// <summary><see cref="Assemble(string, byte[], bool)"/> with the header's bytes as given (they need not be UTF-8).</summary>
    public static byte[] Assemble(byte[] header, byte[] data, bool pad = true)
    {
        var length = pad ? (header.Length + 7) / 8 * 8 : header.Length;
        var bytes = new byte[8 + length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)length);
        header.CopyTo(bytes, 8);
        bytes.AsSpan(8 + header.Length, length - header.Length).Fill((byte)' ');
        data.CopyTo(bytes, 8 + length);
        return bytes;
    }

    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }
}
