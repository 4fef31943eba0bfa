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
    private Thread? _view;
    private ProgressTask? _task;
    private readonly ManualResetEventSlim _ready = new();
    private readonly ManualResetEventSlim _finished = new();
    private string _action = "";
    private int _passed;
    private int _failed;

    private StationConsoleProgress(HostOutput output, bool live)
    {
        _output = output;
        _live = live;
    }

    /// <summary>The presenter for this host's output, or null with --json.</summary>
    public static Action<StationProgress>? For(HostOutput output) =>
        output.Json ? null : new StationConsoleProgress(output, live: !Console.IsErrorRedirected).Report;

    public void Report(StationProgress e)
    {
        switch (e)
        {
            case StationProgress.Started s:
                _action = s.Action;
                if (_live) StartLive(s.Total);
                break;
            case StationProgress.DeviceStarted d when _task is not null:
                _task.Description = Describe(_task.Value, d.Total, _passed, _failed, Path.GetFileName(d.Location));
                break;
            case StationProgress.DeviceFinished f when _live && _task is not null:
                (_passed, _failed) = (f.Passed, f.Failed);
                _task.Value = f.Done;
                _task.Description = Describe(f.Done, f.Total, f.Passed, f.Failed, Path.GetFileName(f.Result.Location));
                break;
            case StationProgress.DeviceFinished f:
                var board = f.Result;
                var what = board.Succeeded ? board.Message : $"error {board.ErrorCode}: {board.Message}";
                _output.Notice($"[{f.Done}/{f.Total}] {Path.GetFileName(board.Location)}: {what} ({f.Passed} passed, {f.Failed} failed)");
                break;
            case StationProgress.Finished finished:
                StopLive();
                var failed = finished.Results.Where(r => !r.Succeeded).ToList();
                _output.Notice($"{_action}: {finished.Results.Count - failed.Count} of {finished.Results.Count} device(s) passed, {failed.Count} failed" +
                    (finished.Stopped ? " (stopped by the operator)." : "."));
                foreach (var group in BoardResultGroups.Of(failed)) _output.Notice("  " + group.Line);
                break;
        }
    }

    private string Describe(double done, int total, int passed, int failed, string? current) =>
        $"{Markup.Escape(_action)} {(int)done}/{total} · [green]{passed} passed[/] · [red]{failed} failed[/]" + (current is null ? "" : $" · {Markup.Escape(current)}");

    private void StartLive(int total)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        _view = new Thread(() => console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                _task = ctx.AddTask(Describe(0, total, 0, 0, null), maxValue: Math.Max(1, total));
                _ready.Set();
                _finished.Wait();
                ctx.Refresh();
            })) { IsBackground = true, Name = "station progress" };
        _view.Start();
        _ready.Wait();
    }

    private void StopLive()
    {
        if (_view is null) return;
        _finished.Set();
        _view.Join();
        _view = null;
    }
}
