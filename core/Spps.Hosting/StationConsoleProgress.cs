using Spectre.Console;
using Spps.Core.Commands;
using Spps.Core.Manufacturer;

namespace Spps.Hosting;

/// <summary>
/// Shows a station run on the console while it works (a presenter of <see cref="ProductionProgress"/>). On a
/// terminal: one live line (Spectre.Console) with n/N, passed and failed counts and the device being worked
/// on. Otherwise: one plain line per device on stderr, e.g. <c>[3/20] board-003: PROGRAM succeeded … (3 passed,
/// 0 failed)</c>. With --json: nothing (stdout carries the one JSON document; the per-board results are in it).
/// The run header is printed by the command either way. Reports arrive from several threads.
/// </summary>
public sealed class StationConsoleProgress : IProgress<ProductionProgress>
{
    private readonly HostOutput _output;
    private readonly bool _live;
    private readonly object _gate = new();
    private readonly List<BoardResult> _boards = [];
    private LiveBar? _bar;
    private int _passed;
    private int _failed;

    private StationConsoleProgress(HostOutput output, bool live)
    {
        _output = output;
        _live = live;
    }

    /// <summary>The presenter for this host's output; with --json one that shows nothing (the JSON document has every board).</summary>
    public static IProgress<ProductionProgress> For(HostOutput output) =>
        output.Json ? new Silent() : new StationConsoleProgress(output, live: !Console.IsErrorRedirected);

    public void Report(ProductionProgress e)
    {
        lock (_gate)
        {
            if (e.IsHeader)
            {
                _boards.Clear();
                (_passed, _failed) = (0, 0);
                return;
            }
            // The bar starts with the first board, so a run refused before any board leaves no live line behind.
            if (_live && _bar is null && _boards.Count == 0) _bar = new LiveBar(Describe(e.Action.Name, 0, e.Total, null), e.Total);
            if (e.Starting is { } location)
            {
                _bar?.Update(Describe(e.Action.Name, _boards.Count, e.Total, Path.GetFileName(location)));
                return;
            }
            var board = e.Board!;
            _boards.Add(board);
            if (board.Succeeded) _passed++;
            else if (board.Failed) _failed++;
            if (_bar is not null)
                _bar.Update(Describe(e.Action.Name, _boards.Count, e.Total, Path.GetFileName(board.Location)), _boards.Count);
            else
            {
                var what = board.Succeeded ? board.Message : board.Skipped ? "skipped: " + board.Message : $"error {board.ErrorCode}: {board.Message}";
                _output.Notice($"[{_boards.Count}/{e.Total}] {Path.GetFileName(board.Location)}: {what} ({_passed} passed, {_failed} failed)");
            }
            if (_boards.Count < e.Total) return;
            _bar?.Dispose();
            _bar = null;
            var failed = _boards.Where(r => r.Failed).ToList();
            var skipped = _boards.Count(r => r.Skipped);
            _output.Notice($"{e.Action}: {_passed} of {_boards.Count} device(s) passed, {failed.Count} failed" + (skipped > 0 ? $", {skipped} skipped." : "."));
            foreach (var group in BoardResultGroups.Of(failed)) _output.Notice("  " + group.Line);
        }
    }

    private string Describe(string action, int done, int total, string? current) =>
        $"{Markup.Escape(action)} {done}/{total} · [green]{_passed} passed[/] · [red]{_failed} failed[/]" + (current is null ? "" : $" · {Markup.Escape(current)}");

    private sealed class Silent : IProgress<ProductionProgress>
    {
        public void Report(ProductionProgress value) { }
    }
}
