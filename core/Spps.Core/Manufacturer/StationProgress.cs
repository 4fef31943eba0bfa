namespace Spps.Core.Manufacturer;

/// <summary>
/// What a station run tells its presenters (console, web UI) while it works: the run starts with its
/// device count, each device starts and finishes, the run ends. Events for different devices arrive on
/// different threads (boards run in parallel); the counts in <see cref="DeviceFinished"/> are exact.
/// </summary>
public abstract record StationProgress
{
    public sealed record Started(string Action, int Total) : StationProgress;

    public sealed record DeviceStarted(string Location, int Total) : StationProgress;

    public sealed record DeviceFinished(BoardResult Result, int Done, int Total, int Passed, int Failed) : StationProgress;

    public sealed record Finished(IReadOnlyList<BoardResult> Results, bool Stopped) : StationProgress;
}
