namespace Spps.Build.Tests;

/// <summary>The CM: its own SPPS_HOME and folder, running the real spps-station.</summary>
public sealed class ManufacturerSite
{
    public ManufacturerSite(PackageFeed feed)
    {
        Work = Directory.CreateDirectory(Path.Combine(feed.Work, "cm-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        Environment = feed.BaseEnvironment();
        Environment["SPPS_HOME"] = Directory.CreateDirectory(Path.Combine(Work, "home")).FullName;
    }

    public string Work { get; }
    public Dictionary<string, string?> Environment { get; }

    public string PathOf(string relative) => Path.Combine(Work, relative);

    public DotnetRun Station(params string[] arguments) => DotnetRun.Start(Work, Environment, [PackageFeed.StationDll, .. arguments]);
}
