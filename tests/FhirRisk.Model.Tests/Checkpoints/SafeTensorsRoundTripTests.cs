using System.Buffers.Binary;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Testing;

namespace FhirRisk.Model.Tests.Checkpoints;

public sealed class SafeTensorsRoundTripTests
{
    [Fact]
    public void WriteTo_SmallFile_MatchesBytesAssembledFromTheSpec()
    {
        // Arrange: an F32 vector and an I64 scalar, added in the opposite of file order.
        var writer = new SafeTensorsWriter();
        writer.Add<float>("b", [2], new float[] { 1f, -2.5f });
        writer.Add<long>("a", [], new long[] { 7 });
        writer.Metadata["format"] = "pt";
        // Layout: larger elements first, then by name, so 'a' (8-byte I64) takes [0, 8) and 'b' takes [8, 16).
        var expectedData = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(expectedData, 7);
        SafeTensorsFiles.Floats(1f, -2.5f).CopyTo(expectedData, 8);
        var expected = SafeTensorsFiles.Assemble(
            """{"__metadata__":{"format":"pt"},"a":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""",
            expectedData);

        // Act
        using var stream = new MemoryStream();
        var written = writer.WriteTo(stream);

        // Assert
        Assert.Equal(expected, stream.ToArray());
        Assert.Equal(expected.Length, written);
        Assert.Equal(0, BinaryPrimitives.ReadInt64LittleEndian(expected) % 8);
    }

    [Fact]
    public void Reader_EveryDTypeAndShape_RoundTripsExactly()
    {
        using var folder = new TempDirectory();
        var path = folder.File("all.safetensors");
        float[] matrix = [1f, float.NaN, float.NegativeInfinity, -0f, float.Epsilon, 3.25f];
        double[] vector = [Math.PI, -1e300];
        long[] scalar = [long.MinValue];
        int[] ints = [1, -2, int.MaxValue];
        var writer = new SafeTensorsWriter();
        writer.Add<float>("transformer.wte.weight", [2, 3], matrix);
        writer.Add<float>("empty", [0, 3], Array.Empty<float>());
        writer.Add<double>("f64", [2], vector);
        writer.Add<long>("step", [], scalar);
        writer.Add<int>("i32", [3, 1], ints);
        writer.Metadata["note"] = "ünïcode ✓";
        writer.WriteTo(path);

        using var reader = SafeTensorsReader.Open(path);

        Assert.Equal(["f64", "step", "empty", "i32", "transformer.wte.weight"], reader.Tensors.Select(t => t.Name));
        Assert.Equal(BitsOf(matrix), BitsOf(reader.ReadArray<float>("transformer.wte.weight")));
        Assert.Empty(reader.ReadArray<float>("empty"));
        Assert.Equal([0L, 3L], reader.Find("empty")!.Shape);
        Assert.Equal(vector, reader.ReadArray<double>("f64"));
        Assert.Equal(scalar, reader.ReadArray<long>("step"));
        Assert.Empty(reader.Find("step")!.Shape);
        Assert.Equal(ints, reader.ReadArray<int>("i32"));
        Assert.Equal(SafeTensorsDType.I32, reader.Find("i32")!.DType);
        Assert.Equal("ünïcode ✓", reader.Metadata["note"]);
    }

    [Fact]
    public void WriteTo_SameTensorsInAnyOrder_GivesIdenticalBytes()
    {
        var first = Serialize(["x", "y", "z"]);
        var second = Serialize(["z", "x", "y"]);
        var again = Serialize(["x", "y", "z"]);

        Assert.Equal(first, second);
        Assert.Equal(first, again);

        static byte[] Serialize(string[] order)
        {
            var writer = new SafeTensorsWriter();
            foreach (var name in order)
                writer.Add<float>(name, [name.Length + 1], Enumerable.Repeat((float)name[0], name.Length + 1).ToArray());
            writer.Add<double>("d", [1], new double[] { 0.1 });
            writer.Metadata["b"] = "2";
            writer.Metadata["a"] = "1";
            using var stream = new MemoryStream();
            writer.WriteTo(stream);
            return stream.ToArray();
        }
    }

    [Fact]
    public void Reader_FileWithoutMetadataOrTensors_IsValid()
    {
        using var folder = new TempDirectory();
        var path = folder.File("empty.safetensors");
        new SafeTensorsWriter().WriteTo(path);

        using var reader = SafeTensorsReader.Open(path);

        Assert.Empty(reader.Tensors);
        Assert.Empty(reader.Metadata);
        Assert.Equal(SafeTensorsFiles.Assemble("{}", []), File.ReadAllBytes(path));
    }

    [Fact]
    public void Add_DataLengthDisagreesWithShape_Throws()
    {
        var writer = new SafeTensorsWriter();

        var error = Assert.Throws<ArgumentException>(() => writer.Add<float>("w", [2, 2], new float[3]));

        Assert.Contains("[2, 2]", error.Message, StringComparison.Ordinal);
    }

    private static int[] BitsOf(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
