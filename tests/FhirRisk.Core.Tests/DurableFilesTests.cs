using FhirRisk.Core;
using FhirRisk.Testing;

namespace FhirRisk.Core.Tests;

public sealed class DurableFilesTests
{
    [Fact]
    public void Write_ReplacesTheFileWholeAndLeavesNoPartial()
    {
        using var temp = new TempDirectory();
        var path = temp.File("model.bin");
        File.WriteAllText(path, "old contents, longer than the new ones");

        DurableFiles.WriteAllBytes(path, "new"u8);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(["model.bin"], Directory.EnumerateFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_FailingWriter_KeepsThePreviousFile()
    {
        using var temp = new TempDirectory();
        var path = temp.File("config.json");
        File.WriteAllText(path, "previous");

        Assert.Throws<IOException>(() => DurableFiles.Write(path, stream =>
        {
            stream.Write("half"u8);
            throw new IOException("disk full");
        }));

        Assert.Equal("previous", File.ReadAllText(path));
    }

    [Fact]
    public void Write_OwnerOnly_CreatesTheFile0600()
    {
        if (OperatingSystem.IsWindows())
            return;
        using var temp = new TempDirectory();
        var path = temp.File("heads.json");

        DurableFiles.WriteAllBytes(path, "{}"u8, ownerOnly: true);

        Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(path));
    }

    [Fact]
    public void SyncFolder_SyncsAFolderAndReportsOneItCannotOpen()
    {
        // The libc calls really run: a folder syncs, a missing one is an IOException carrying errno (ENOENT 2).
        using var temp = new TempDirectory();
        DurableFiles.SyncFolder(temp.Path);
        if (OperatingSystem.IsWindows())
            return;
        var missing = Assert.Throws<IOException>(() => DurableFiles.SyncFolder(temp.File("missing")));
        Assert.Contains("errno 2", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MoveFolder_RenamesTheFolderWithItsFiles()
    {
        using var temp = new TempDirectory();
        var partial = temp.File("last" + DurableFiles.PartialSuffix);
        Directory.CreateDirectory(partial);
        DurableFiles.WriteFlushed(Path.Combine(partial, "a.bin"), stream => stream.Write("a"u8));

        DurableFiles.MoveFolder(partial, temp.File("last"));

        Assert.False(Directory.Exists(partial));
        Assert.Equal("a", File.ReadAllText(temp.File("last", "a.bin")));
    }
}
