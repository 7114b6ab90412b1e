namespace FhirRisk.Core.Tests;

public sealed class ModelProvenanceTests : IDisposable
{
    // A folder of its own inside a temporary parent, so that no recipe of a parent folder is read.
    private readonly string _parent = Directory.CreateTempSubdirectory("fhirrisk-provenance-").FullName;

    private string Folder => Directory.CreateDirectory(Path.Combine(_parent, "model")).FullName;

    public void Dispose() => Directory.Delete(_parent, recursive: true);

    [Fact]
    public void The_generative_backbone_inside_a_demoFolder_is_a_simulated_demo()
    {
        File.WriteAllText(Path.Combine(_parent, ModelProvenance.DemoRecipeFile), """{ "format": "fhirrisk-demo-recipe" }""");

        Assert.True(ModelProvenance.IsSimulatedDemo(Folder));
        Assert.True(ModelProvenance.IsSimulatedDemo(Folder + Path.DirectorySeparatorChar));
    }

    [Fact]
    public void AFolder_with_the_demo_recipe_is_a_simulated_demo()
    {
        File.WriteAllText(Path.Combine(Folder, ModelProvenance.DemoRecipeFile), """{ "format": "fhirrisk-demo-recipe", "version": 1 }""");

        Assert.True(ModelProvenance.IsSimulatedDemo(Folder));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("""{ "format": "another-recipe" }""")]
    [InlineData("""{ "version": 1 }""")]
    [InlineData("""[ "fhirrisk-demo-recipe" ]""")]
    [InlineData("not json")]
    public void AFolder_without_the_demo_recipe_is_not(string? recipe)
    {
        if (recipe is not null)
            File.WriteAllText(Path.Combine(Folder, ModelProvenance.DemoRecipeFile), recipe);

        Assert.False(ModelProvenance.IsSimulatedDemo(Folder));
    }

    [Fact]
    public void The_committed_demo_model_is_a_simulated_demo()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !Directory.Exists(Path.Combine(root, "models", "demo")))
            root = Path.GetDirectoryName(root);
        Assert.NotNull(root);

        Assert.True(ModelProvenance.IsSimulatedDemo(Path.Combine(root, "models", "demo")));
        Assert.True(ModelProvenance.IsSimulatedDemo(Path.Combine(root, "models", "demo", "pretrained")));
    }
}
