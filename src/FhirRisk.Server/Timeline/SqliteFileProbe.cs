using System.Globalization;
using System.Runtime.InteropServices;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// The SQLite file and its folder as the operating system sees them for this process — the file-system message SQLite's
/// result code lacks: "Read-only file system" (a read-only mount) is not "Permission denied" (the wrong owner), and
/// neither is a full volume; and which file the path names (<see cref="Identity"/>). Asked with access(2), statfs and
/// statx(2), never by opening the file: closing a descriptor of a file SQLite has open would drop its POSIX locks
/// (<see cref="SqliteTimelineStore"/>).
/// </summary>
internal static partial class SqliteFileProbe
{
    private const int ReadOk = 4, WriteOk = 2, ExecuteOk = 1;

    /// <summary><c>file /data/timeline.db: read-write; folder /data: Read-only file system; 1048576 bytes free on its volume</c>.</summary>
    public static string Describe(string path)
    {
        if (OperatingSystem.IsWindows())
            return "";
        var folder = Path.GetDirectoryName(path) is { Length: > 0 } parent ? parent : "/";
        var file = File.Exists(path) ? Access(path, ReadOk | WriteOk, "read-write") : "missing";
        return string.Create(CultureInfo.InvariantCulture,
            $"file {path}: {file}; folder {folder}: {Access(folder, WriteOk | ExecuteOk, "writable")}{FreeSpace(folder)}");
    }

    private static string Access(string path, int mode, string ok) =>
        AccessNative(path, mode) == 0 ? ok : Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());

    private static string FreeSpace(string folder)
    {
        try
        {
            return string.Create(CultureInfo.InvariantCulture, $"; {new DriveInfo(folder).AvailableFreeSpace} bytes free on its volume");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return "";
        }
    }

    [LibraryImport("libc", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int AccessNative(string path, int mode);

    /// <summary>
    /// Which file <paramref name="path"/> names now: its device and inode, as statx(2) reports them (symbolic links
    /// followed, as SQLite follows them), or null where that cannot be asked (not Linux, a libc without statx, a kernel or
    /// seccomp profile that refuses it) or the path names nothing. Two different files never share both numbers while
    /// both exist, and the file SQLite opened keeps its numbers after a rename or an unlink, so a path that now names
    /// another pair names another file.
    /// </summary>
    /// <remarks>
    /// Why statx, through P/Invoke: the BCL offers no inode (<see cref="FileSystemInfo"/> has times, length and mode,
    /// which a restored copy can match), and this must not open the file (see the class). stat(2) would do, but its
    /// <c>struct stat</c> differs between architectures and glibc exported <c>stat</c> only from 2.33; <c>struct
    /// statx</c> is the kernel's, with one layout everywhere (linux/stat.h: <c>stx_ino</c> at byte 32,
    /// <c>stx_dev_major</c> and <c>stx_dev_minor</c> at 136 and 140, 256 bytes in all), and glibc has had statx since
    /// 2.28. Comparing <c>/proc/self/fd</c> links would need a descriptor of our own on the file, which this class avoids.
    /// </remarks>
    public static FileIdentity? Identity(string path)
    {
        if (!OperatingSystem.IsLinux() || s_noStatx)
            return null;
        Span<byte> buffer = stackalloc byte[StatxSize];
        try
        {
            if (StatxNative(AtCurrentDirectory, path, 0, StatxInode, ref MemoryMarshal.GetReference(buffer)) != 0)
                return null; // missing (ENOENT) or not ours to see; ENOSYS or EPERM from a seccomp profile as well
        }
        catch (EntryPointNotFoundException)
        {
            s_noStatx = true; // a libc without statx (glibc before 2.28, musl before 1.2.5): existence is all we check
            return null;
        }
        if ((BitConverter.ToUInt32(buffer) & StatxInode) == 0)
            return null;
        return new FileIdentity(
            BitConverter.ToUInt32(buffer[StatxDeviceMajorOffset..]),
            BitConverter.ToUInt32(buffer[StatxDeviceMinorOffset..]),
            BitConverter.ToUInt64(buffer[StatxInodeOffset..]));
    }

    private const int AtCurrentDirectory = -100, StatxInode = 0x100, StatxSize = 256;
    private const int StatxInodeOffset = 32, StatxDeviceMajorOffset = 136, StatxDeviceMinorOffset = 140;

    private static volatile bool s_noStatx;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxNative(int directory, string path, int flags, uint mask, ref byte buffer);
}

/// <summary>A file as the file system knows it, whatever its name: <c>device 8:1, inode 1234567</c>.</summary>
internal readonly record struct FileIdentity(uint DeviceMajor, uint DeviceMinor, ulong Inode)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"device {DeviceMajor}:{DeviceMinor}, inode {Inode}");
}
