namespace FhirRisk.Core.Tests;

/// <summary>Which exceptions <see cref="FileFailures"/> takes for a failed read or write (review s17 #6).</summary>
public sealed class FileFailuresTests
{
    [Fact]
    public void IoAndAccessErrors_AreFileFailures()
    {
        Assert.True(FileFailures.IsFileFailure(new IOException("No space left on device")));
        Assert.True(FileFailures.IsFileFailure(new UnauthorizedAccessException()));
        Assert.False(FileFailures.IsFileFailure(new InvalidOperationException()));
    }

    [Fact]
    public void A_memory_streams_range_errors_are_defects_not_a_file_too_large()
    {
        // The same exception type and parameter name as EFBIG, thrown by System.IO code that writes no file.
        using var memory = new MemoryStream();
        var setLength = Assert.Throws<ArgumentOutOfRangeException>(() => memory.SetLength(long.MaxValue));
        var position = Assert.Throws<ArgumentOutOfRangeException>(() => memory.Position = long.MaxValue);

        Assert.False(FileFailures.IsFileTooLarge(setLength));
        Assert.False(FileFailures.IsFileFailure(position));
        Assert.False(FileFailures.IsFileTooLarge(new ArgumentOutOfRangeException("value")));
    }
}
