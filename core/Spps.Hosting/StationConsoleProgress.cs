using Spectre.Console;
using Spps.Core.Manufacturer;

namespace Spps.Hosting;

/// <summary>
/// Shows a station run on the console while it works. On a terminal: one live line (Spectre.Console)
/// with n/N, passed and failed counts and the device being worked on. Otherwise: one plain line per
/// device on stderr, e.g. <c>[3/20] board-003: PROGRAM succeeded … (3 passed, 0 failed)</c>. With
/// --json: nothing (stdout carries the one JSON document; the per-board results are in it).
/// </summary>
public sealed class StationConsoleProgress
{
    private readonly HostOutput _output;
    private readonly bool _live;
    private LiveBar? _bar;
    private string _action = "";
    private int _done;
    private int _passed;
    private int _failed;

    private StationConsoleProgress(HostOutput output, bool live)
    {
        _output = output;
        _live = live;
    }

    /// <summary>The presenter for this host's output; with --json one that shows nothing (the JSON document has every board).</summary>
    public static Action<StationProgress> For(HostOutput output) =>
        output.Json ? _ => { } : new StationConsoleProgress(output, live: !Console.IsErrorRedirected).Report;

    public void Report(StationProgress e)
    {
        switch (e)
        {
            case StationProgress.Started s:
                _action = s.Action;
                if (_live) _bar = new LiveBar(Describe(0, s.Total, 0, 0, null), s.Total);
                break;
            case StationProgress.DeviceStarted d when _bar is not null:
                _bar.Update(Describe(_done, d.Total, _passed, _failed, Path.GetFileName(d.Location)));
                break;
            case StationProgress.DeviceFinished f when _bar is not null:
                (_done, _passed, _failed) = (f.Done, f.Passed, f.Failed);
                _bar.Update(Describe(f.Done, f.Total, f.Passed, f.Failed, Path.GetFileName(f.Result.Location)), f.Done);
                break;
            case StationProgress.DeviceFinished f:
                var board = f.Result;
                var what = board.Succeeded ? board.Message : $"error {board.ErrorCode}: {board.Message}";
                _output.Notice($"[{f.Done}/{f.Total}] {Path.GetFileName(board.Location)}: {what} ({f.Passed} passed, {f.Failed} failed)");
                break;
            case StationProgress.Finished finished:
                _bar?.Dispose();
                _bar = null;
                var failed = finished.Results.Where(r => !r.Succeeded).ToList();
                _output.Notice($"{_action}: {finished.Results.Count - failed.Count} of {finished.Results.Count} device(s) passed, {failed.Count} failed" +
                    (finished.Stopped ? " (stopped by the operator)." : "."));
                foreach (var group in BoardResultGroups.Of(failed)) _output.Notice("  " + group.Line);
                break;
        }
    }

    private string Describe(int done, int total, int passed, int failed, string? current) =>
        $"{Markup.Escape(_action)} {done}/{total} · [green]{passed} passed[/] · [red]{failed} failed[/]" + (current is null ? "" : $" · {Markup.Escape(current)}");
}
