namespace FhirRisk.Architecture.Tests;

/// <summary>Applies <see cref="DependencyRules"/> to parsed projects; every violation is one readable line.</summary>
internal static class DependencyRuleChecker
{
    public static IReadOnlyList<string> Check(IEnumerable<ProjectFile> projects)
    {
        var violations = new List<string>();
        foreach (var project in projects)
        {
            if (project.Area == ProjectArea.Src && !DependencyRules.IsKnown(project.Name))
            {
                violations.Add($"{project.Name}: not in the DependencyRules table; add it with the projects it may reference (DESIGN §2).");
                continue;
            }
            violations.AddRange(CheckReferences(project));
            violations.AddRange(CheckPackages(project));
        }
        return violations;
    }

    /// <summary>src projects without a tests/&lt;Name&gt;.Tests project, skipping <paramref name="exemptions"/>.</summary>
    public static IReadOnlyList<string> MissingTestProjects(
        IEnumerable<ProjectFile> projects, IReadOnlySet<string> testProjects, IEnumerable<string> exemptions)
    {
        var exempt = exemptions.ToHashSet(StringComparer.Ordinal);
        return projects
            .Where(p => p.Area == ProjectArea.Src && !exempt.Contains(p.Name) && !testProjects.Contains($"{p.Name}.Tests"))
            .Select(p => $"{p.Name}: no tests/{p.Name}.Tests project (DESIGN §2: one test project per src project).")
            .ToArray();
    }

    private static IEnumerable<string> CheckReferences(ProjectFile project)
    {
        foreach (var target in project.ProjectReferences)
        {
            if (DependencyRules.Hosts.Contains(target))
                yield return $"{project.Name} → {target}: nothing may reference a host (Server, Cli); they are composition roots.";
            else if (!IsAllowed(project, target))
                yield return $"{project.Name} → {target}: not allowed; {project.Name} may reference {Describe(AllowedFor(project))}.";
        }
    }

    private static IEnumerable<string> CheckPackages(ProjectFile project)
    {
        if (project.Area != ProjectArea.Src || DependencyRules.Hosts.Contains(project.Name))
            yield break;
        foreach (var package in project.PackageReferences.Where(DependencyRules.IsConfigurationPackage))
            yield return $"{project.Name} uses {package}: only hosts read configuration; libraries take immutable settings records.";
    }

    // Hosts, benchmarks and tools may use any library; a library only what its row of the table lists.
    private static bool IsAllowed(ProjectFile project, string target) =>
        project.Area != ProjectArea.Src || DependencyRules.Hosts.Contains(project.Name)
            ? DependencyRules.Libraries.ContainsKey(target)
            : AllowedFor(project).Contains(target);

    private static IReadOnlySet<string> AllowedFor(ProjectFile project) =>
        DependencyRules.Libraries.TryGetValue(project.Name, out var allowed)
            ? allowed
            : DependencyRules.Libraries.Keys.ToHashSet(StringComparer.Ordinal);

    private static string Describe(IReadOnlySet<string> allowed) =>
        allowed.Count == 0 ? "nothing" : string.Join(", ", allowed.Order(StringComparer.Ordinal));
}
