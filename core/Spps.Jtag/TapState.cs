namespace Spps.Jtag;

/// <summary>The 16 states of the IEEE 1149.1 TAP controller (names as OpenOCD spells them).</summary>
public enum TapState
{
    Reset, Idle,
    DrSelect, DrCapture, DrShift, DrExit1, DrPause, DrExit2, DrUpdate,
    IrSelect, IrCapture, IrShift, IrExit1, IrPause, IrExit2, IrUpdate,
}

/// <summary>The TAP controller's transitions on TMS, and the TMS paths between states.</summary>
public static class TapController
{
    private static readonly TapState[] OnLow =
    [
        TapState.Idle, TapState.Idle,
        TapState.DrCapture, TapState.DrShift, TapState.DrShift, TapState.DrPause, TapState.DrPause, TapState.DrShift, TapState.Idle,
        TapState.IrCapture, TapState.IrShift, TapState.IrShift, TapState.IrPause, TapState.IrPause, TapState.IrShift, TapState.Idle,
    ];

    private static readonly TapState[] OnHigh =
    [
        TapState.Reset, TapState.DrSelect,
        TapState.IrSelect, TapState.DrExit1, TapState.DrExit1, TapState.DrUpdate, TapState.DrExit2, TapState.DrUpdate, TapState.DrSelect,
        TapState.Reset, TapState.IrExit1, TapState.IrExit1, TapState.IrUpdate, TapState.IrExit2, TapState.IrUpdate, TapState.DrSelect,
    ];

    private static readonly bool[][][] Paths = BuildPaths();

    /// <summary>The state after one TCK with this TMS.</summary>
    public static TapState Next(TapState state, bool tms) => tms ? OnHigh[(int)state] : OnLow[(int)state];

    /// <summary>
    /// The shortest TMS sequence from <paramref name="from"/> to <paramref name="to"/> (empty when equal).
    /// To <see cref="TapState.Reset"/> it is always five ones, which works from any (even unknown) state.
    /// </summary>
    public static IReadOnlyList<bool> Path(TapState from, TapState to) =>
        to == TapState.Reset ? [true, true, true, true, true] : Paths[(int)from][(int)to];

    /// <summary>OpenOCD's name of a state (RESET, IDLE, DRSHIFT ...).</summary>
    public static string OpenOcdName(TapState state) => state.ToString().ToUpperInvariant();

    private static bool[][][] BuildPaths()
    {
        var all = new bool[16][][];
        for (var from = 0; from < 16; from++)
        {
            var paths = new bool[16][];
            paths[from] = [];
            var queue = new Queue<TapState>([(TapState)from]);
            while (queue.Count > 0)
            {
                var s = queue.Dequeue();
                foreach (var tms in new[] { false, true })
                {
                    var n = Next(s, tms);
                    if (paths[(int)n] is not null) continue;
                    paths[(int)n] = [.. paths[(int)s], tms];
                    queue.Enqueue(n);
                }
            }
            all[from] = paths;
        }
        return all;
    }
}
