using System.Globalization;
using System.Text;
using Spps.Contracts.Programmers;
using Spps.Jtag;

namespace Spps.Programmer.OpenOcd;

/// <summary>
/// A scan chain driven through OpenOCD's Tcl commands. OpenOCD addresses TAPs, not raw chain vectors:
/// an IR vector is split at the TAPs' IR lengths and sent as <c>irscan TAP VALUE</c> for the one TAP that is
/// not loaded with BYPASS (OpenOCD puts the others in BYPASS itself); a DR vector then drops the other
/// TAPs' bypass bits and goes out as <c>drscan TAP</c> in fields of <see cref="FieldBits"/> bits (OpenOCD
/// parses each hex value in time quadratic in its length, so one long field is slow). Vectors with more
/// than one TAP out of BYPASS are refused (the 0.12 drscan addresses one TAP). Reset is <c>jtag arp_init</c>
/// (TMS reset and a check of the chain against the configuration); no svf is used (0.12 asserts on a
/// drscan that follows one).
/// </summary>
internal sealed class OpenOcdTap : IJtagTap
{
    public const int FieldBits = 1024;
    private readonly OpenOcdRpc _rpc;
    private readonly IReadOnlyList<JtagChainDevice> _taps;
    private readonly OpenOcdProcess? _process;
    private int _selected = -1;

    public OpenOcdTap(OpenOcdRpc rpc, IReadOnlyList<JtagChainDevice> taps, OpenOcdProcess? process, string location)
    {
        _rpc = rpc;
        _taps = taps;
        _process = process;
        Location = location;
    }

    public string Location { get; }

    public OpenOcdRpc Rpc => _rpc;

    public int FrequencyHz
    {
        get => int.TryParse(_rpc.Run("adapter speed").Trim().Split(' ')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var khz) ? khz * 1000 : 0;
        set => _rpc.Run($"adapter speed {Math.Max(1, value / 1000)}");
    }

    public void Reset()
    {
        _rpc.Run("jtag arp_init");
        _rpc.Run("runtest 1");
        _selected = -1;
    }

    public byte[] ShiftIr(ReadOnlySpan<byte> tdi, int bitLength)
    {
        var total = _taps.Sum(t => t.IrLength!.Value);
        if (bitLength != total) throw new ProgrammerException(ErrorCodes.ChainMismatch, $"The chain's IRs are {total} bits long in all, not {bitLength}.");
        var offset = 0;
        var active = new List<(int Index, ulong Value)>();
        for (var i = 0; i < _taps.Count; i++)
        {
            var length = _taps[i].IrLength!.Value;
            ulong value = 0;
            var ones = true;
            for (var b = 0; b < length; b++)
            {
                var bit = JtagBits.Get(tdi, offset + b);
                ones &= bit;
                if (bit && b < 64) value |= 1UL << b;
            }
            if (!ones) active.Add((i, value));
            offset += length;
        }
        if (active.Count > 1)
            throw new ProgrammerException(ErrorCodes.ChainMismatch, "OpenOCD's drscan addresses one TAP at a time: load BYPASS into every other device.");
        if (active.Count == 0)
        {
            _rpc.Run($"irscan {_taps[0].Name} 0x{(1UL << _taps[0].IrLength!.Value) - 1:x}");
            _selected = -1;
        }
        else
        {
            var (index, value) = active[0];
            _rpc.Run($"irscan {_taps[index].Name} 0x{value:x}");
            _selected = index;
        }
        // OpenOCD returns no IR capture through irscan; the IEEE capture pattern (..01) per TAP stands in for it.
        var tdo = new byte[JtagBits.Bytes(bitLength)];
        offset = 0;
        foreach (var t in _taps)
        {
            JtagBits.Set(tdo, offset, true);
            offset += t.IrLength!.Value;
        }
        return tdo;
    }

    public byte[] ShiftDr(ReadOnlySpan<byte> tdi, int bitLength)
    {
        var tdo = new byte[JtagBits.Bytes(bitLength)];
        var bypassed = _taps.Count - (_selected >= 0 ? 1 : 0);
        var length = bitLength - bypassed;
        if (_selected < 0 || length <= 0) return tdo; // every TAP in BYPASS: they capture zeros
        var offset = _selected; // one bypass bit per TAP nearer TDO
        var command = new StringBuilder($"drscan {_taps[_selected].Name}", 32 + length / 3);
        var field = new byte[FieldBits / 8 + 1];
        for (var at = 0; at < length; at += FieldBits)
        {
            var bits = Math.Min(FieldBits, length - at);
            Array.Clear(field);
            JtagBits.Copy(tdi, offset + at, field, 0, bits);
            command.Append(CultureInfo.InvariantCulture, $" {bits} 0x");
            var bytes = JtagBits.Bytes(bits);
            for (var i = bytes - 1; i >= 0; i--) command.Append(field[i].ToString("x2", CultureInfo.InvariantCulture));
        }
        var values = _rpc.Run(command.ToString()).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var expected = (length + FieldBits - 1) / FieldBits;
        if (values.Length != expected)
            throw new ProgrammerException(ErrorCodes.ProgrammerDisconnected, $"OpenOCD at {_rpc.Endpoint} answered drscan with {values.Length} values instead of {expected}.");
        for (var f = 0; f < values.Length; f++)
        {
            var bits = Math.Min(FieldBits, length - f * FieldBits);
            var hex = values[f].StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? values[f][2..] : values[f];
            if (hex.Length % 2 == 1) hex = "0" + hex;
            var big = Convert.FromHexString(hex);
            Array.Reverse(big);
            var little = new byte[JtagBits.Bytes(bits)];
            big.AsSpan(0, Math.Min(big.Length, little.Length)).CopyTo(little);
            JtagBits.Copy(little, 0, tdo, offset + f * FieldBits, bits);
        }
        return tdo;
    }

    public void RunIdle(int clocks)
    {
        if (clocks > 0) _rpc.Run($"runtest {clocks}");
    }

    public void Dispose()
    {
        if (_process is not null)
        {
            try { _rpc.Raw("shutdown"); } catch (ProgrammerException) { }
        }
        _rpc.Dispose();
        _process?.Dispose();
    }

    /// <summary>The enabled TAPs, from <c>scan_chain</c>: name, IR length, IDCODE seen.</summary>
    public static IReadOnlyList<JtagChainDevice> ScanChain(OpenOcdRpc rpc)
    {
        var taps = new List<JtagChainDevice>();
        foreach (var line in rpc.Run("capture scan_chain").Split('\n'))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 7 || !int.TryParse(f[0], out _) || f[2] != "Y") continue;
            uint? id = uint.TryParse(f[3].Replace("0x", "", StringComparison.OrdinalIgnoreCase), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v) ? v : null;
            int? ir = int.TryParse(f[5], out var l) ? l : null;
            taps.Add(new JtagChainDevice(f[1], ir, id));
        }
        return taps;
    }
}
