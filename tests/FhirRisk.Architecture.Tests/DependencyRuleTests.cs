using FhirRisk.Testing;

namespace FhirRisk.Architecture.Tests;

public sealed class DependencyRuleTests
{
    private static readonly IReadOnlyList<ProjectFile> RepositoryProjects = ProjectFile.LoadRepository(RepositoryPaths.Root);

    [Fact]
    public void LoadRepository_FindsTheExistingSrcProjects()
    {
        var names = RepositoryProjects.Where(p => p.Area == ProjectArea.Src).Select(p => p.Name).ToHashSet();

        Assert.Superset(new HashSet<string> { DependencyRules.Core, DependencyRules.Parquet, DependencyRules.Meds, DependencyRules.Cli, DependencyRules.Server }, names);
    }

    [Fact]
    public void RepositoryProjects_FollowTheDependencyRule_NoViolations()
    {
        var violations = DependencyRuleChecker.Check(RepositoryProjects);

        Assert.True(violations.Count == 0, string.Join('\n', violations));
    }

    [Fact]
    public void RepositorySrcProjects_EachHasATestProject_NoneMissing()
    {
        var testProjects = Directory.EnumerateDirectories(RepositoryPaths.Tests)
            .Where(d => File.Exists(Path.Combine(d, Path.GetFileName(d) + ".csproj")))
            .Select(Path.GetFileName)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);

        var missing = DependencyRuleChecker.MissingTestProjects(RepositoryProjects, testProjects, DependencyRules.TestProjectExemptions.Keys);

        Assert.True(missing.Count == 0, string.Join('\n', missing));
    }

    [Fact]
    public void Check_UnknownSrcProject_ReportsIt()
    {
        var violations = DependencyRuleChecker.Check([Src("FhirRisk.Newcomer", DependencyRules.Core)]);

        Assert.Contains(violations, v => v.StartsWith("FhirRisk.Newcomer: not in the DependencyRules table", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(DependencyRules.Core, DependencyRules.Parquet)]
    [InlineData(DependencyRules.Parquet, DependencyRules.Meds)]
    [InlineData(DependencyRules.Fhir, DependencyRules.Parquet)]
    [InlineData(DependencyRules.Model, DependencyRules.Tokenizer)]
    [InlineData(DependencyRules.Training, DependencyRules.Inference)]
    [InlineData(DependencyRules.Inference, DependencyRules.Training)]
    public void Check_ReferenceAgainstTheFlow_ReportsIt(string project, string target)
    {
        var violations = DependencyRuleChecker.Check([Src(project, target)]);

        Assert.Equal($"{project} → {target}: not allowed", Assert.Single(violations).Split(';')[0]);
    }

    [Theory]
    [InlineData(DependencyRules.Meds, DependencyRules.Parquet)]
    [InlineData(DependencyRules.Tokenizer, DependencyRules.Parquet)]
    [InlineData(DependencyRules.Inference, DependencyRules.ModelTorch)]
    [InlineData(DependencyRules.Server, DependencyRules.Synthetic)]
    [InlineData(DependencyRules.Cli, DependencyRules.Training)]
    public void Check_AllowedReference_NoViolation(string project, string target)
    {
        Assert.Empty(DependencyRuleChecker.Check([Src(project, target)]));
    }

    [Theory]
    [InlineData(DependencyRules.Cli, DependencyRules.Server)]
    [InlineData(DependencyRules.Server, DependencyRules.Cli)]
    [InlineData(DependencyRules.Meds, DependencyRules.Cli)]
    public void Check_ReferenceToAHost_ReportsIt(string project, string host)
    {
        var violation = Assert.Single(DependencyRuleChecker.Check([Src(project, host)]));

        Assert.Contains("nothing may reference a host", violation, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_BenchmarkReferencingAHost_ReportsIt()
    {
        var bench = new ProjectFile("FhirRisk.Bench", ProjectArea.Bench, [DependencyRules.Meds, DependencyRules.Server], []);

        Assert.Contains("FhirRisk.Bench → FhirRisk.Server", Assert.Single(DependencyRuleChecker.Check([bench])), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Microsoft.Extensions.Configuration")]
    [InlineData("Microsoft.Extensions.Configuration.Json")]
    [InlineData("Microsoft.Extensions.Options.ConfigurationExtensions")]
    public void Check_LibraryUsingConfiguration_ReportsIt(string package)
    {
        var library = new ProjectFile(DependencyRules.Inference, ProjectArea.Src, [], [package]);

        Assert.Contains("only hosts read configuration", Assert.Single(DependencyRuleChecker.Check([library])), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_HostUsingConfiguration_NoViolation()
    {
        var host = new ProjectFile(DependencyRules.Server, ProjectArea.Src, [], ["Microsoft.Extensions.Configuration.Json"]);

        Assert.Empty(DependencyRuleChecker.Check([host]));
    }

    [Fact]
    public void MissingTestProjects_ProjectWithoutTests_ReportedUnlessExempt()
    {
        ProjectFile[] projects = [Src(DependencyRules.Core), Src(DependencyRules.Fhir), Src(DependencyRules.Model)];
        var tests = new HashSet<string> { "FhirRisk.Core.Tests" };

        var missing = DependencyRuleChecker.MissingTestProjects(projects, tests, [DependencyRules.Model]);

        Assert.Equal("FhirRisk.Fhir: no tests/FhirRisk.Fhir.Tests project", Assert.Single(missing).Split(" (")[0]);
    }

    [Fact]
    public void RuleTable_AllowedSetsAreTransitivelyClosed()
    {
        var gaps = from rule in DependencyRules.Libraries
                   from allowed in rule.Value
                   from indirect in DependencyRules.Libraries[allowed]
                   where !rule.Value.Contains(indirect)
                   select $"{rule.Key} may reference {allowed}, which may reference {indirect}, but {rule.Key} may not";

        Assert.Empty(gaps);
    }

    [Fact]
    public void RuleTable_NoLibraryMayReferenceItselfOrAHost()
    {
        var bad = DependencyRules.Libraries
            .Where(rule => rule.Value.Contains(rule.Key) || rule.Value.Overlaps(DependencyRules.Hosts))
            .Select(rule => rule.Key);

        Assert.Empty(bad);
    }

    [Fact]
    public void Parse_Csproj_ReadsProjectAndPackageReferences()
    {
        const string xml = """
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <ProjectReference Include="..\FhirRisk.Core\FhirRisk.Core.csproj" />
                <ProjectReference Include="../FhirRisk.Parquet/FhirRisk.Parquet.csproj" />
                <PackageReference Include="IronSnappy" />
              </ItemGroup>
            </Project>
            """;

        var project = ProjectFile.Parse("FhirRisk.Meds", ProjectArea.Src, xml);

        Assert.Equal([DependencyRules.Core, DependencyRules.Parquet], project.ProjectReferences);
        Assert.Equal(["IronSnappy"], project.PackageReferences);
    }

    private static ProjectFile Src(string name, params string[] references) => new(name, ProjectArea.Src, references, []);
}
