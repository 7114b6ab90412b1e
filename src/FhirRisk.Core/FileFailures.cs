namespace FhirRisk.Core;

/// <summary>Which exceptions mean that a file could not be read or written, as opposed to a defect or a bad argument.</summary>
public static class FileFailures
{
    /// <summary>
    /// An I/O error (a full disk: <see cref="IOException"/>), a permission refused (<see cref="UnauthorizedAccessException"/>),
    /// or a file grown past the size the file system or the process allows (EFBIG: <c>ulimit -f</c>, FAT's 4 GiB), which
    /// .NET reports as an <see cref="ArgumentOutOfRangeException"/> of the parameter <c>value</c> ("Specified file length
    /// was too large for the file system") rather than as an I/O error — so a command would otherwise take it for a bad
    /// argument (review s15-training #9).
    /// </summary>
    public static bool IsFileFailure(Exception e) =>
        e is IOException or UnauthorizedAccessException || IsFileTooLarge(e);

    /// <summary>EFBIG as .NET reports it (see <see cref="IsFileFailure"/>).</summary>
    public static bool IsFileTooLarge(Exception e) =>
        e is ArgumentOutOfRangeException { ParamName: "value" } && e.TargetSite?.DeclaringType?.Namespace == "System.IO";
}
