using Spps.Contracts.Programmers;

namespace Spps.Jtag;

/// <summary>
/// One device of a scan chain as an <see cref="IJtagPort"/>: every IR shift loads BYPASS (all ones) into
/// the other devices, and every DR shift adds their one-bit bypass registers around the device's bits.
/// Device 0 is nearest TDO, so its bits come first in a chain-wide vector.
/// </summary>
public sealed class ChainedDevicePort : IJtagPort
{
    private readonly IJtagTap _tap;
    private readonly int[] _irLengths;
    private readonly int _index;
    private readonly IDisposable? _owner;

    /// <param name="tap">the chain</param>
    /// <param name="irLengths">IR length of every device of the chain, index 0 nearest TDO</param>
    /// <param name="index">the device this port drives</param>
    /// <param name="owner">disposed with the port (e.g. the tap, when the port is its only user)</param>
    public ChainedDevicePort(IJtagTap tap, IReadOnlyList<int> irLengths, int index, IDisposable? owner = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, irLengths.Count);
        if (irLengths.Any(l => l < 2)) throw new ArgumentException("An IR is at least 2 bits long.", nameof(irLengths));
        _tap = tap;
        _irLengths = [.. irLengths];
        _index = index;
        _owner = owner;
        Location = irLengths.Count == 1 ? tap.Location : $"{tap.Location} device {index + 1} of {irLengths.Count}";
    }

    public string Location { get; }

    /// <summary>Position of the device, 0 nearest TDO (a job's <c>hw_location</c> minus one).</summary>
    public int Index => _index;

    /// <summary>A port for every device of a chain; the chain is disposed with the last of them.</summary>
    public static IReadOnlyList<IJtagPort> ForEveryDevice(JtagChain chain, int fallbackIrLength)
    {
        var irLengths = chain.Devices.Select(d => d.IrLength ?? fallbackIrLength).ToList();
        var shared = new SharedOwner(chain, irLengths.Count);
        return irLengths.Select((_, i) => (IJtagPort)new ChainedDevicePort(chain.Tap, irLengths, i, shared.User())).ToList();
    }

    /// <summary>Devices on the chain.</summary>
    public int ChainLength => _irLengths.Length;

    /// <summary>The chain this device is on (ports of one chain must be used one after another).</summary>
    public IJtagTap Tap => _tap;

    public int FrequencyHz { get => _tap.FrequencyHz; set => _tap.FrequencyHz = value; }

    public void ResetTap() => _tap.Reset();

    public void ShiftIr(uint instruction, int bitLength)
    {
        if (bitLength != _irLengths[_index])
            throw new ProgrammerException(ErrorCodes.DeviceProtocol, $"{Location} has an IR of {_irLengths[_index]} bits, not {bitLength}.");
        var total = _irLengths.Sum();
        var offset = _irLengths.Take(_index).Sum();
        var bits = new byte[JtagBits.Bytes(total)];
        JtagBits.Ones(bits, 0, total);
        for (var i = 0; i < bitLength; i++) JtagBits.Set(bits, offset + i, i < 32 && ((instruction >> i) & 1) != 0);
        _tap.ShiftIr(bits, total);
    }

    public byte[] ShiftDr(ReadOnlySpan<byte> tdi, int bitLength)
    {
        var others = _irLengths.Length - 1;
        if (others == 0) return _tap.ShiftDr(tdi, bitLength);
        var total = bitLength + others;
        var bits = new byte[JtagBits.Bytes(total)];
        JtagBits.Copy(tdi, 0, bits, _index, bitLength);
        var tdo = _tap.ShiftDr(bits, total);
        var output = new byte[JtagBits.Bytes(bitLength)];
        JtagBits.Copy(tdo, _index, output, 0, bitLength);
        return output;
    }

    public void RunIdle(int clocks) => _tap.RunIdle(clocks);

    public void Dispose() => _owner?.Dispose();
}

/// <summary>Disposes a resource when the last of its users is done (several device ports on one chain).</summary>
public sealed class SharedOwner(IDisposable resource, int users) : IDisposable
{
    private int _users = users;

    public IDisposable User() => new Release(this);

    public void Dispose() => resource.Dispose();

    private sealed class Release(SharedOwner shared) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0 && Interlocked.Decrement(ref shared._users) == 0) shared.Dispose();
        }
    }
}
