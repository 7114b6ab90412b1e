using System.Xml.Linq;

namespace FhirRisk.Architecture.Tests;

/// <summary>Where a project lives; the dependency rule differs for each.</summary>
internal enum ProjectArea
{
    Src,
    Bench,
    Tools,
}

/// <summary>The parts of a .csproj the dependency rule looks at.</summary>
internal sealed record ProjectFile(
    string Name,
    ProjectArea Area,
    IReadOnlyList<string> ProjectReferences,
    IReadOnlyList<string> PackageReferences)
{
    /// <summary>Parses csproj XML; project references are reduced to project names (file name without .csproj).</summary>
    public static ProjectFile Parse(string name, ProjectArea area, string xml)
    {
        var document = XDocument.Parse(xml);
        string[] Includes(string item) => document.Descendants()
            .Where(e => e.Name.LocalName == item)
            .Select(e => (string?)e.Attribute("Include"))
            .OfType<string>()
            .ToArray();
        var projects = Includes("ProjectReference")
            .Select(p => Path.GetFileNameWithoutExtension(p.Replace('\\', '/')))
            .ToArray();
        return new ProjectFile(name, area, projects, Includes("PackageReference"));
    }

    /// <summary>Every src/*/*.csproj, bench/*/*.csproj and tools/*/*.csproj under <paramref name="root"/>.</summary>
    public static IReadOnlyList<ProjectFile> LoadRepository(string root)
    {
        var areas = new[] { ("src", ProjectArea.Src), ("bench", ProjectArea.Bench), ("tools", ProjectArea.Tools) };
        var projects = new List<ProjectFile>();
        foreach (var (folder, area) in areas)
        {
            var directory = Path.Combine(root, folder);
            if (!Directory.Exists(directory))
                continue;
            foreach (var projectDirectory in Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal))
            {
                foreach (var csproj in Directory.EnumerateFiles(projectDirectory, "*.csproj"))
                    projects.Add(Parse(Path.GetFileNameWithoutExtension(csproj), area, File.ReadAllText(csproj)));
            }
        }
        return projects;
    }
}
