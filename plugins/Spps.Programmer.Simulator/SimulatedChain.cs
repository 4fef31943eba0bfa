using Spps.Contracts.Programmers;
using Spps.Jtag;

namespace Spps.Programmer.Simulator;

/// <summary>
/// Simulated devices on one scan chain behind a real TAP state machine (16 states, driven by TMS on the
/// rising edge of TCK). Device 0 is nearest TDO. Capture happens on the edge that leaves Capture-xR,
/// shifting on the edges in Shift-xR, update on entering Update-xR, reset on entering Test-Logic-Reset.
/// Holds the claims of its board files while open.
/// </summary>
internal sealed class SimulatedChain(IReadOnlyList<SimulatedTapDevice> devices, IReadOnlyList<IDisposable> claims) : IJtagPins
{
    public TapState State { get; private set; } = TapState.Reset;

    public IReadOnlyList<SimulatedTapDevice> Devices => devices;

    public bool Tdo => State switch
    {
        TapState.DrShift => devices[0].DrOut,
        TapState.IrShift => devices[0].IrOut,
        _ => false,
    };

    public void Clock(bool tms, bool tdi)
    {
        switch (State)
        {
            case TapState.DrCapture:
                foreach (var d in devices) d.CaptureDr();
                break;
            case TapState.IrCapture:
                foreach (var d in devices) d.CaptureIr();
                break;
            case TapState.DrShift:
                for (var i = devices.Count - 1; i >= 0; i--) tdi = devices[i].ShiftDr(tdi);
                break;
            case TapState.IrShift:
                for (var i = devices.Count - 1; i >= 0; i--) tdi = devices[i].ShiftIr(tdi);
                break;
        }
        var next = TapController.Next(State, tms);
        if (next != State)
        {
            switch (next)
            {
                case TapState.DrUpdate:
                    foreach (var d in devices) d.UpdateDr();
                    break;
                case TapState.IrUpdate:
                    foreach (var d in devices) d.UpdateIr();
                    break;
                case TapState.Reset:
                    foreach (var d in devices) d.Reset();
                    break;
            }
        }
        State = next;
    }

    public void TestReset()
    {
        State = TapState.Reset;
        foreach (var d in devices) d.Reset();
    }

    public void Dispose()
    {
        foreach (var d in devices) d.Dispose();
        foreach (var c in claims) c.Dispose();
    }
}
