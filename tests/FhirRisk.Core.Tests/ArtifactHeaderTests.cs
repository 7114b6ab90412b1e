using FhirRisk.Core;

namespace FhirRisk.Core.Tests;

public sealed class ArtifactHeaderTests
{
    private const uint Magic = 0x4B535246; // "FRSK" little-endian

    [Fact]
    public void WriteThenValidate_RoundTrips()
    {
        var buffer = new byte[ArtifactHeader.Size];
        new ArtifactHeader(Magic, 2).Write(buffer);
        var header = ArtifactHeader.Validate(buffer, Magic, maxVersion: 3, "model.bin", "model file");
        Assert.Equal(new ArtifactHeader(Magic, 2), header);
        Assert.All(buffer[8..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Validate_WrongMagic_NamesFileAndHints()
    {
        var buffer = new byte[ArtifactHeader.Size];
        new ArtifactHeader(0x12345678, 1).Write(buffer);
        var error = Assert.Throws<InvalidDataException>(() => ArtifactHeader.Validate(buffer, Magic, 1, "model.bin", "model file"));
        Assert.Contains("model.bin", error.Message, StringComparison.Ordinal);
        Assert.Contains("Hint", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void Validate_UnsupportedVersion_Throws(int version)
    {
        var buffer = new byte[ArtifactHeader.Size];
        new ArtifactHeader(Magic, version).Write(buffer);
        Assert.Throws<InvalidDataException>(() => ArtifactHeader.Validate(buffer, Magic, 3, "x", "model file"));
    }

    [Fact]
    public void Validate_TooShort_Throws() =>
        Assert.Throws<InvalidDataException>(() => ArtifactHeader.Validate(new byte[3], Magic, 1, "x", "model file"));

    [Fact]
    public void Issue_ToString_HasSeverityCodeAndPath()
    {
        var issue = Issue.Error("MEDS004", "data/train/0.parquet:row 17", "times are not sorted");
        Assert.Equal("ERROR MEDS004 at data/train/0.parquet:row 17: times are not sorted", issue.ToString());
        Assert.Equal(IssueSeverity.Warning, Issue.Warning("X", "p", "m").Severity);
    }
}
