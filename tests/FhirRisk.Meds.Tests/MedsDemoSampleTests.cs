using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests;

/// <summary>
/// Golden test of <c>samples/meds-demo/</c>: regenerated in a temp folder it must equal the committed files byte for
/// byte. Set <c>FHIRRISK_REGENERATE_GOLDENS=1</c> to rewrite the committed copy (STYLE 9).
/// </summary>
public sealed class MedsDemoSampleTests
{
    private static string Committed => RepositoryPaths.Combine("samples", "meds-demo");

    [Fact]
    public void Write_RegeneratedSample_EqualsCommittedFilesByteForByte()
    {
        using var temp = new TempDirectory();
        MedsDemoSample.Write(temp.Path);
        if (Environment.GetEnvironmentVariable("FHIRRISK_REGENERATE_GOLDENS") == "1")
            Replace(Committed, temp.Path);

        var expected = Files(Committed);
        Assert.Equal(expected, Files(temp.Path));
        foreach (var file in expected)
            Assert.True(File.ReadAllBytes(Path.Combine(Committed, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(temp.Path, file))),
                $"{file} differs from the committed sample; if the change is intended, rerun with FHIRRISK_REGENERATE_GOLDENS=1.");
    }

    [Fact]
    public void Validate_CommittedSample_NoIssuesAndAllSplits()
    {
        var issues = MedsValidator.Validate(Committed, new MedsValidationOptions { Strict = true });
        var reader = MedsDatasetReader.Open(Committed);

        Assert.Empty(issues);
        Assert.Equal(12, reader.ReadSubjects().Count());
        Assert.Equal(["train", "tuning", "held_out"], reader.SplitNames);
    }

    private static void Replace(string target, string source)
    {
        if (Directory.Exists(target))
            Directory.Delete(target, recursive: true);
        foreach (var file in Files(source))
        {
            var destination = Path.Combine(target, file);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(Path.Combine(source, file), destination);
        }
    }

    private static string[] Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();
}
