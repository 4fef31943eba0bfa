using System.Reflection;

namespace Spps.Tools.Tests;

/// <summary>
/// A fresh user on this machine: an empty HOME, no SPPS_* settings. The build output (SPPS_BUILD_ROOT) and
/// the NuGet package folder are shared by the tests of this class, so the second pack is incremental.
/// </summary>
public sealed class Machine : IDisposable
{
    public const string Collection = "a fresh user's machine";

    public Machine()
    {
        Root = Directory.CreateTempSubdirectory("spps-tools-").FullName;
        Artifacts = Directory.CreateDirectory(Path.Combine(Root, "artifacts")).FullName;
        Packages = Directory.CreateDirectory(Path.Combine(Root, "nuget-packages")).FullName;
    }

    public static string RepoRoot { get; } = typeof(Machine).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SppsRoot").Value!.TrimEnd('/');

    public string Root { get; }
    public string Artifacts { get; }
    public string Packages { get; }

    /// <summary>A new empty HOME and the environment of a user who has only the .NET SDK.</summary>
    public Dictionary<string, string?> NewUser(string name)
    {
        var home = Directory.CreateDirectory(Path.Combine(Root, name)).FullName;
        var env = new Dictionary<string, string?>
        {
            ["HOME"] = home,
            ["SPPS_BUILD_ROOT"] = Artifacts,
            ["NUGET_PACKAGES"] = Packages,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_HOME"] = null,
        };
        foreach (var variable in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(v => v.StartsWith("SPPS_", StringComparison.Ordinal) && v != "SPPS_BUILD_ROOT"))
            env[variable] = null;
        return env;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}

[CollectionDefinition(Machine.Collection)]
public sealed class MachineCollection : ICollectionFixture<Machine>;
