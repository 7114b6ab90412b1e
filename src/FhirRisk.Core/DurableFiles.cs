using System.Runtime.InteropServices;

namespace FhirRisk.Core;

/// <summary>
/// Saves that survive a power loss (docs/formats/model-directory.md, "Durable saves"): a file is written to
/// <c>&lt;path&gt;.partial</c>, flushed to the disk, renamed over <c>&lt;path&gt;</c>, and the folder holding it is synced so
/// the rename itself is on the disk. A rename alone is atomic for running processes but not across a power loss: without
/// the flush the renamed file can come back empty, without the folder sync the rename can be lost (ext4, XFS; fsync(2)).
/// </summary>
public static partial class DurableFiles
{
    /// <summary>The suffix of a file or folder being written; a reader never takes one for the real thing.</summary>
    public const string PartialSuffix = ".partial";

    /// <summary>Writes <paramref name="path"/> as a whole: the previous file, or the new one flushed to disk, never a mix.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="write">Writes the contents; the stream is flushed to disk and closed after it.</param>
    /// <param name="ownerOnly">Create the file 0600 (<see cref="OwnerOnlyFiles"/>), for files that hold patient data.</param>
    public static void Write(string path, Action<Stream> write, bool ownerOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var partial = path + PartialSuffix;
        WriteFlushed(partial, write, ownerOnly);
        File.Move(partial, path, overwrite: true);
        SyncFolder(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/> as <see cref="Write(string, Action{Stream}, bool)"/> does.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> contents, bool ownerOnly = false)
    {
        var bytes = contents.ToArray();
        Write(path, stream => stream.Write(bytes), ownerOnly);
    }

    /// <summary>Creates (or truncates) <paramref name="path"/> itself, runs <paramref name="write"/> and flushes the file to
    /// disk before closing it. For files inside a folder that is renamed into place as a whole (<see cref="MoveFolder"/>).</summary>
    public static void WriteFlushed(string path, Action<Stream> write, bool ownerOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var options = ownerOnly
            ? OwnerOnlyFiles.Options(FileMode.Create, share: FileShare.None, bufferSize: 1 << 16)
            : new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1 << 16 };
        using var stream = new FileStream(path, options);
        write(stream);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Renames the folder <paramref name="source"/> to <paramref name="destination"/> (which must not exist) and
    /// syncs the parent folders of both, so the rename is on the disk when this returns.</summary>
    public static void MoveFolder(string source, string destination)
    {
        Directory.Move(source, destination);
        SyncFolder(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        var sourceParent = Path.GetDirectoryName(Path.GetFullPath(source))!;
        if (sourceParent != Path.GetDirectoryName(Path.GetFullPath(destination)))
            SyncFolder(sourceParent);
    }

    /// <summary>
    /// Flushes <paramref name="folder"/>'s entries (names, renames, removals) to disk. .NET has no API for this, so on Unix
    /// the folder is opened read-only and fsync(2)ed through libc. On Windows it does nothing: NTFS journals renames
    /// (MoveFileEx is metadata-atomic) and a folder cannot be opened as a file without backup privileges.
    /// </summary>
    /// <exception cref="IOException">The folder cannot be opened or synced; the message carries errno.</exception>
    public static void SyncFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (OperatingSystem.IsWindows())
            return;
        var fd = Open(folder, 0 /* O_RDONLY */);
        if (fd < 0)
            throw new IOException($"could not open the folder {folder} to sync it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            // EINVAL: the file system cannot sync folders (some network and FUSE mounts); nothing more can be done there.
            if (FSync(fd) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != EInval)
                throw new IOException($"could not sync the folder {folder} to disk (errno {errno}).");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private const int EInval = 22;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
