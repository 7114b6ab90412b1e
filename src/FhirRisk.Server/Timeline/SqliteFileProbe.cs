using System.Globalization;
using System.Runtime.InteropServices;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// The SQLite file and its folder as the operating system sees them for this process — the file-system message SQLite's
/// result code lacks: "Read-only file system" (a read-only mount) is not "Permission denied" (the wrong owner), and
/// neither is a full volume. Asked with access(2) and statfs, never by opening the file: closing a descriptor of a file
/// SQLite has open would drop its POSIX locks (<see cref="SqliteTimelineStore"/>).
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
}
