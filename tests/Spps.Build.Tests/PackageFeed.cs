using System.Reflection;

namespace Spps.Build.Tests;

/// <summary>
/// Once per test run: Spps.Build and the template package packed into a local feed in a temp folder,
/// the template installed into a private hive, a private NuGet packages folder (so the packed package is
/// never cached machine-wide) and a nuget.config that adds the feed to the normal sources.
/// </summary>
public sealed class PackageFeed : IDisposable
{
    public PackageFeed()
    {
        Root = Directory.CreateTempSubdirectory("spps-build-tests-").FullName;
        Feed = Directory.CreateDirectory(Path.Combine(Root, "feed")).FullName;
        Hive = Path.Combine(Root, "template-hive");
        Packages = Path.Combine(Root, "nuget-packages");
        Work = Directory.CreateDirectory(Path.Combine(Root, "work")).FullName;
        var env = BaseEnvironment();
        // The packs build the checkout's projects. Their bin and obj go to this run's folder: in the checkout's obj
        // the restore would point at the private packages folder, deleted after the run, and a build of the solution
        // running beside these tests (dotnet test builds project by project) would then fail to find its packages.
        var packEnv = new Dictionary<string, string?>(env) { ["SPPS_BUILD_ROOT"] = Path.Combine(Root, "artifacts") };
        DotnetRun.Start(RepoRoot, packEnv, "pack", Path.Combine(RepoRoot, "tasks", "Spps.Build.Tasks", "Spps.Build.Tasks.csproj"), "-o", Feed, "-nologo").ShouldSucceed();
        DotnetRun.Start(RepoRoot, packEnv, "pack", Path.Combine(RepoRoot, "templates", "Spps.Build.Templates.csproj"), "-o", Feed, "-nologo").ShouldSucceed();
        var package = Directory.GetFiles(Feed, "Spps.Build.*.nupkg").Single(p => !Path.GetFileName(p).StartsWith("Spps.Build.Templates.", StringComparison.Ordinal));
        Version = Path.GetFileNameWithoutExtension(package)["Spps.Build.".Length..];
        var templates = Directory.GetFiles(Feed, "Spps.Build.Templates.*.nupkg").Single();
        DotnetRun.Start(Work, env, "new", "install", templates, "--debug:custom-hive", Hive).ShouldSucceed();
        File.WriteAllText(Path.Combine(Work, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="spps-build-under-test" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
    }

    public string Root { get; }
    public string Feed { get; }
    public string Hive { get; }
    public string Packages { get; }
    public string Work { get; }
    public string Version { get; }

    public static string RepoRoot { get; } = typeof(PackageFeed).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SppsRoot").Value!;

    public static string StationDll => Path.Combine(AppContext.BaseDirectory, "spps-station.dll");

    /// <summary>What every child process gets: quiet CLI, no node reuse (a fresh task assembly each build), the private packages folder.</summary>
    public Dictionary<string, string?> BaseEnvironment() => new()
    {
        ["NUGET_PACKAGES"] = Packages,
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["SPPS_HOME"] = null,
        ["SPPS_HSM_PASSPHRASE"] = null,
        ["SPPS_HSM_PASSPHRASE_FILE"] = null,
        ["SPPS_PLUGIN_PATH"] = null,
        ["SPPS_PROGRAMMER"] = null,
        // One simulated silicon vendor for the OE's builds and the CM's boards, outside both homes.
        ["SPPS_SIM_VENDOR"] = Path.Combine(Work, "sim-vendor"),
        ["SPPS_SILICON_VENDORS"] = null,
    };

    /// <summary>dotnet new spps-job into a fresh folder; the OE site's state goes to its own SPPS_HOME.</summary>
    public JobProject NewProject(string name, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var folder = Directory.CreateDirectory(Path.Combine(Work, Guid.NewGuid().ToString("N")[..8])).FullName;
        var env = BaseEnvironment();
        DotnetRun.Start(folder, env, "new", "spps-job", "-n", name, "--SppsBuildVersion", Version, "--debug:custom-hive", Hive).ShouldSucceed();
        env["SPPS_HOME"] = Directory.CreateDirectory(Path.Combine(folder, "oe-home")).FullName;
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>()) env[k] = v;
        return new JobProject(Path.Combine(folder, name), name, env);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class DotnetCollection : ICollectionFixture<PackageFeed>
{
    public const string Name = "dotnet CLI";
}
