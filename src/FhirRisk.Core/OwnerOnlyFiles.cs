namespace FhirRisk.Core;

/// <summary>
/// Files and folders that hold patient data, created readable by their owner only on Unix (files 0600, folders 0700),
/// whatever the umask (review phi.md #3, #4, #6). Only what is created here gets these modes: an existing file or folder
/// keeps the mode its operator gave it. On Windows the folder's inherited ACL applies (there are no Unix modes there).
/// </summary>
public static class OwnerOnlyFiles
{
    /// <summary>rw------- (0600).</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>rwx------ (0700).</summary>
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates <paramref name="path"/> and any missing parents 0700; folders already there are left as they are.</summary>
    public static DirectoryInfo CreateFolder(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (OperatingSystem.IsWindows())
            return Directory.CreateDirectory(full);
        // Directory.CreateDirectory(path, mode) gives the mode to the last folder only; missing parents would get the
        // umask's (0755), so each missing level is created on its own, outermost first.
        var missing = new Stack<string>();
        for (var folder = full; folder is not null && !Directory.Exists(folder); folder = Path.GetDirectoryName(folder))
            missing.Push(folder);
        while (missing.Count > 1)
            Directory.CreateDirectory(missing.Pop(), FolderMode);
        return Directory.CreateDirectory(full, FolderMode);
    }

    /// <summary>
    /// Options for a <see cref="FileStream"/> that may create its file: a new file is created 0600. Pass the mode and
    /// access of the usual constructor; <paramref name="mode"/> must be one that can create (not Open or Truncate).
    /// </summary>
    public static FileStreamOptions Options(System.IO.FileMode mode, FileAccess access = FileAccess.Write, FileShare share = FileShare.Read,
        int bufferSize = 4096, FileOptions options = FileOptions.None)
    {
        var stream = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize, Options = options };
        if (!OperatingSystem.IsWindows())
            stream.UnixCreateMode = FileMode;
        return stream;
    }

    /// <summary>Like <see cref="File.Create(string)"/> (create or truncate, write), a new file created 0600.</summary>
    public static FileStream Create(string path, int bufferSize = 4096) =>
        new(path, Options(System.IO.FileMode.Create, bufferSize: bufferSize, share: FileShare.None));
}
