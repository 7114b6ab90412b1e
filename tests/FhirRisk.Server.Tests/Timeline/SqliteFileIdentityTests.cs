using FhirRisk.Server.Timeline;

namespace FhirRisk.Server.Tests.Timeline;

/// <summary><see cref="SqliteFileProbe.Identity"/>: a file keeps its identity under another name, and a file of the
/// same name and bytes put in its place has another.</summary>
public sealed class SqliteFileIdentityTests
{
    [Testing.LinuxFact]
    public void A_file_moved_over_the_path_is_another_file_and_a_rename_keeps_the_identity()
    {
        using var folder = new FhirRisk.Testing.TempDirectory("file-identity");
        var path = folder.File("timeline.db");
        File.WriteAllText(path, "store");
        var first = SqliteFileProbe.Identity(path);

        File.Copy(path, folder.File("copy.db"));
        File.Move(path, folder.File("renamed.db"));
        File.Move(folder.File("copy.db"), path);

        Assert.NotNull(first);
        Assert.Equal(first, SqliteFileProbe.Identity(folder.File("renamed.db")));
        Assert.NotEqual(first, SqliteFileProbe.Identity(path));
        Assert.Null(SqliteFileProbe.Identity(folder.File("missing.db")));
    }
}
