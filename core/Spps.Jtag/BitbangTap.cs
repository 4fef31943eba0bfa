using Spps.Contracts.Programmers;

namespace Spps.Jtag;

/// <summary>TCK cycles on a wire: TMS and TDI per cycle, TDO sampled before the rising edge of chosen cycles.</summary>
public interface IJtagWire : IDisposable
{
    /// <summary>Where the wire goes, for logs.</summary>
    string Location { get; }

    /// <summary>TCK frequency in Hz.</summary>
    int FrequencyHz { get; set; }

    /// <summary>
    /// Runs <paramref name="count"/> cycles; bit j of <paramref name="tdo"/> receives TDO of cycle
    /// <paramref name="sampleStart"/> + j, for <paramref name="sampleCount"/> cycles.
    /// </summary>
    void Cycles(ReadOnlySpan<byte> tms, ReadOnlySpan<byte> tdi, int count, Span<byte> tdo, int sampleStart, int sampleCount);
}

/// <summary>
/// A chain-level <see cref="IJtagTap"/> built from TCK cycles: walks the TAP state machine with TMS paths.
/// Shifts go Idle → Shift-xR → Exit1 → Update → Idle in one batch of cycles.
/// </summary>
public sealed class BitbangTap(IJtagWire wire) : IJtagTap
{
    private TapState _state = TapState.Reset;
    private bool _known;

    public string Location => wire.Location;

    public int FrequencyHz { get => wire.FrequencyHz; set => wire.FrequencyHz = value; }

    /// <summary>The state the TAP controllers are in after the last operation.</summary>
    public TapState State => _state;

    public void Reset()
    {
        Run([.. TapController.Path(_state, TapState.Reset), false], 0, [], 0);
        _state = TapState.Idle;
        _known = true;
    }

    public byte[] ShiftIr(ReadOnlySpan<byte> tdi, int bitLength) => Shift(TapState.IrShift, tdi, bitLength);

    public byte[] ShiftDr(ReadOnlySpan<byte> tdi, int bitLength) => Shift(TapState.DrShift, tdi, bitLength);

    public void RunIdle(int clocks)
    {
        if (clocks <= 0) return;
        EnsureIdle();
        Run(new bool[clocks], 0, [], 0);
    }

    private byte[] Shift(TapState shift, ReadOnlySpan<byte> tdi, int bitLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bitLength);
        EnsureIdle();
        var enter = TapController.Path(TapState.Idle, shift);
        var exit1 = shift == TapState.DrShift ? TapState.DrExit1 : TapState.IrExit1;
        var leave = TapController.Path(exit1, TapState.Idle);
        var count = enter.Count + bitLength + leave.Count;
        var tms = new byte[JtagBits.Bytes(count)];
        var data = new byte[tms.Length];
        for (var i = 0; i < enter.Count; i++) JtagBits.Set(tms, i, enter[i]);
        JtagBits.Set(tms, enter.Count + bitLength - 1, true);
        for (var i = 0; i < leave.Count; i++) JtagBits.Set(tms, enter.Count + bitLength + i, leave[i]);
        JtagBits.Copy(tdi, 0, data, enter.Count, bitLength);
        var tdo = new byte[JtagBits.Bytes(bitLength)];
        wire.Cycles(tms, data, count, tdo, enter.Count, bitLength);
        _state = TapState.Idle;
        return tdo;
    }

    private void EnsureIdle()
    {
        if (!_known) Reset();
    }

    private void Run(bool[] tmsBits, int sampleStart, Span<byte> tdo, int sampleCount)
    {
        var tms = new byte[JtagBits.Bytes(tmsBits.Length)];
        for (var i = 0; i < tmsBits.Length; i++) JtagBits.Set(tms, i, tmsBits[i]);
        wire.Cycles(tms, new byte[tms.Length], tmsBits.Length, tdo, sampleStart, sampleCount);
    }

    public void Dispose() => wire.Dispose();
}

/// <summary>An <see cref="IJtagWire"/> that clocks pins directly (a simulated chain in this process).</summary>
public sealed class PinsWire(IJtagPins pins, string location) : IJtagWire
{
    public string Location { get; } = location;
    public int FrequencyHz { get; set; } = 6_000_000;

    public void Cycles(ReadOnlySpan<byte> tms, ReadOnlySpan<byte> tdi, int count, Span<byte> tdo, int sampleStart, int sampleCount)
    {
        for (var i = 0; i < count; i++)
        {
            var j = i - sampleStart;
            if (j >= 0 && j < sampleCount && pins.Tdo) tdo[j >> 3] |= (byte)(1 << (j & 7));
            pins.Clock(JtagBits.Get(tms, i), JtagBits.Get(tdi, i));
        }
    }

    public void Dispose() => pins.Dispose();
}
