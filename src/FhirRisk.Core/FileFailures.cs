namespace FhirRisk.Core;

/// <summary>Which exceptions mean that a file could not be read or written, as opposed to a defect or a bad argument.</summary>
public static class FileFailures
{
    /// <summary>
    /// An I/O error (a full disk: <see cref="IOException"/>), a permission refused (<see cref="UnauthorizedAccessException"/>),
    /// or a file grown past the size the file system allows (EFBIG: FAT32's 4 GiB; also <c>ulimit -f</c> where SIGXFSZ is
    /// ignored — by default that signal ends the process, exit 153, before any handler runs), which
    /// .NET reports as an <see cref="ArgumentOutOfRangeException"/> of the parameter <c>value</c> ("Specified file length
    /// was too large for the file system") rather than as an I/O error — so a command would otherwise take it for a bad
    /// argument (review s15-training #9).
    /// </summary>
    public static bool IsFileFailure(Exception e) =>
        e is IOException or UnauthorizedAccessException || IsFileTooLarge(e);

    /// <summary>EFBIG as .NET reports it (see <see cref="IsFileFailure"/>): thrown where a file is written
    /// (<c>RandomAccess</c>: writes of every kind) or extended (<c>FileStreamHelpers</c>: <c>SetLength</c>), never by a
    /// memory stream's own range checks, which are defects.</summary>
    public static bool IsFileTooLarge(Exception e) =>
        e is ArgumentOutOfRangeException { ParamName: "value" }
        && e.TargetSite?.DeclaringType?.FullName is "System.IO.RandomAccess" or "System.IO.Strategies.FileStreamHelpers";

    /// <summary>The hint for a failed write: a file-size limit when that stopped it, else room and permissions.</summary>
    public static string Hint(Exception e) => IsFileTooLarge(e)
        ? "a file grew past the file system's largest file (FAT32: 4 GiB) or the process's limit: write to another file system, or raise the limit."
        : "check that the folder is writable and the disk has room.";
}
