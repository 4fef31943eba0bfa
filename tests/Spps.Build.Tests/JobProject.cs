namespace Spps.Build.Tests;

/// <summary>A project made by dotnet new spps-job, built with the real dotnet build.</summary>
public sealed class JobProject(string directory, string name, Dictionary<string, string?> environment)
{
    public string Directory { get; } = directory;
    public string Name { get; } = name;
    public Dictionary<string, string?> Environment { get; } = environment;
    public string Manifest => Path.Combine(Directory, "jobs", Name + ".json");
    public string KeptRequest => Path.Combine(Directory, "jobs", Name + ".req");
    public string Reply => Path.Combine(Directory, "jobs", Name + ".rep");

    public DotnetRun Build(params string[] arguments) => DotnetRun.Start(Directory, Environment, ["build", "-nologo", .. arguments]);

    /// <summary>The files the build wrote under $(OutDir)spps/ (reports excluded).</summary>
    public IReadOnlyList<string> Outputs() =>
        System.IO.Directory.Exists(Path.Combine(Directory, "bin"))
            ? System.IO.Directory.GetFiles(Path.Combine(Directory, "bin"), "*", SearchOption.AllDirectories)
                .Where(f => Path.GetFileName(Path.GetDirectoryName(f)) == "spps").Order().ToList()
            : [];

    public string Output(string fileName) =>
        Outputs().SingleOrDefault(f => Path.GetFileName(f) == fileName) ?? throw new Xunit.Sdk.XunitException($"The build wrote no {fileName}; it wrote: {string.Join(", ", Outputs().Select(Path.GetFileName))}");
}
