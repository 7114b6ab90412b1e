namespace FhirRisk.Testing;

/// <summary>A fact about Unix file modes (0600 files, 0700 folders), skipped on Windows, which has none.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows())
            Skip = "Unix file modes do not exist on Windows.";
    }
}

/// <summary>A fact about Linux itself (statx(2), /proc), skipped elsewhere.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "Linux only.";
    }
}

/// <summary>Asserts the modes that patient-data files and folders are created with (FhirRisk.Core.OwnerOnlyFiles).</summary>
public static class UnixFileModes
{
    public const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode OwnerOnlyFolder = OwnerReadWrite | UnixFileMode.UserExecute;

    /// <summary>The mode as octal (e.g. <c>600</c>), so a failure reads like <c>ls -l</c>.</summary>
    public static string Octal(string path)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException();
        return Convert.ToString((int)File.GetUnixFileMode(path), 8);
    }

    public static void AssertOwnerOnlyFile(string path) =>
        Assert.Equal(Convert.ToString((int)OwnerReadWrite, 8) + " " + path, Octal(path) + " " + path);

    public static void AssertOwnerOnlyFolder(string path) =>
        Assert.Equal(Convert.ToString((int)OwnerOnlyFolder, 8) + " " + path, Octal(path) + " " + path);
}
