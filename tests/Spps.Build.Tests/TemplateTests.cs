namespace Spps.Build.Tests;

/// <summary>The template's copy of the manifest schema is the one the package ships (editors read the copy).</summary>
public sealed class TemplateTests
{
    [Fact]
    public void Template_schema_is_the_packaged_schema()
    {
        var packaged = File.ReadAllText(Path.Combine(PackageFeed.RepoRoot, "tasks", "Spps.Build.Tasks", "schema", "spps-job.schema.json"));
        var copy = File.ReadAllText(Path.Combine(PackageFeed.RepoRoot, "templates", "spps-job", "jobs", "spps-job.schema.json"));
        Assert.Equal(packaged, copy);
    }
}
