using System.Globalization;
using Spectre.Console;
using Spps.Core.Owner;
using Spps.Core.Commands;

namespace Spps.Hosting;

/// <summary>
/// Shows long OE work (<see cref="WorkProgress"/>: a big bitstream being encrypted, many CoCs being
/// checked). Work below a size worth showing (16 MiB, 1,000 CoCs) shows nothing. On a terminal: a live bar;
/// otherwise a plain line at each quarter on stderr, e.g. <c>init_bitstream B: 64 of 256 MiB (25%)</c>;
/// with --json: nothing.
/// </summary>
public sealed class WorkConsoleProgress
{
    private const long MinimumBytes = 16 << 20;
    private const long MinimumCocs = 1000;
    private readonly object _gate = new();
    private readonly HostOutput _output;
    private readonly bool _live;
    private readonly Dictionary<string, long> _nextQuarter = new(StringComparer.Ordinal);
    private LiveBar? _bar;
    private string? _barActivity;

    private WorkConsoleProgress(HostOutput output, bool live)
    {
        _output = output;
        _live = live;
    }

    /// <summary>The presenter for this host's output; with --json one that shows nothing.</summary>
    public static Action<WorkProgress> For(HostOutput output) =>
        output.Json ? _ => { } : new WorkConsoleProgress(output, live: !Console.IsErrorRedirected).Report;

    public void Report(WorkProgress e)
    {
        if (e.Total < (e.Unit == WorkProgress.Bytes ? MinimumBytes : MinimumCocs)) return;
        lock (_gate)
        {
            if (_live) Live(e);
            else Plain(e);
        }
    }

    private void Live(WorkProgress e)
    {
        if (_barActivity != e.Activity)
        {
            _bar?.Dispose();
            _bar = new LiveBar(Markup.Escape(Describe(e)), e.Total);
            _barActivity = e.Activity;
        }
        _bar!.Update(Markup.Escape(Describe(e)), e.Done);
        if (e.Done < e.Total) return;
        _bar.Dispose();
        _bar = null;
        _barActivity = null;
    }

    private void Plain(WorkProgress e)
    {
        var next = _nextQuarter.GetValueOrDefault(e.Activity, e.Total / 4);
        if (e.Done < next || next > e.Total) return;
        _output.Notice(Describe(e));
        _nextQuarter[e.Activity] = e.Done >= e.Total ? long.MaxValue : (e.Done * 4 / e.Total + 1) * e.Total / 4;
    }

    private static string Describe(WorkProgress e)
    {
        var percent = e.Total == 0 ? 100 : 100 * e.Done / e.Total;
        return e.Unit == WorkProgress.Bytes
            ? $"{e.Activity}: {e.Done >> 20} of {e.Total >> 20} MiB ({percent}%)"
            : string.Create(CultureInfo.InvariantCulture, $"{e.Activity}: {e.Done:N0} of {e.Total:N0} {e.Unit} ({percent}%)");
    }
}
