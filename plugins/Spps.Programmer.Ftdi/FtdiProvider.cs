using System.Globalization;
using Spps.Contracts.Programmers;
using Spps.Jtag;

namespace Spps.Programmer.Ftdi;

/// <summary>
/// Programmer "ftdi": an FTDI MPSSE channel as a JTAG adapter. Connection: comma-separated settings,
/// <c>ftdi:vid=0403,pid=6010,serial=FT1234,channel=A,khz=6000,chain=8:8:8,latency=1</c>. Defaults:
/// the first FT2232H (0403:6010), FT4232H (0403:6011) or FT232H (0403:6014) found, channel A, 6 MHz,
/// one device with an 8-bit IR. <c>chain</c> lists the IR lengths of the chain, nearest TDO first.
/// <c>tcp=HOST:PORT</c> reaches an MPSSE emulator instead of USB.
/// </summary>
public sealed class FtdiProvider : IProgrammerProvider, IJtagChainProvider
{
    /// <summary>The MPSSE-capable chips this plugin knows: FT2232H, FT4232H, FT232H.</summary>
    public static readonly IReadOnlyList<(ushort Vid, ushort Pid)> KnownChips = [(0x0403, 0x6010), (0x0403, 0x6011), (0x0403, 0x6014)];

    public string Name => "ftdi";

    public IReadOnlyList<IJtagPort> Discover(string connection) => ChainedDevicePort.ForEveryDevice(OpenChains(connection)[0], 8);

    public IReadOnlyList<JtagChain> OpenChains(string connection)
    {
        var settings = Parse(connection);
        var channel = settings.TryGetValue("channel", out var c) && c.Length == 1 && c[0] is >= 'A' and <= 'D' ? c[0] - 'A' + 1
            : settings.ContainsKey("channel") ? throw Invalid(connection, "channel is A, B, C or D") : 1;
        var khz = Number(settings, "khz", 6000, 1, 30_000, connection);
        var latency = (byte)Number(settings, "latency", 1, 1, 255, connection);
        var irLengths = settings.TryGetValue("chain", out var chainText)
            ? chainText.Split(':').Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l >= 2 ? l : throw Invalid(connection, "chain lists IR lengths (2 or more bits) separated by ':'")).ToList()
            : [8];
        IFtdiTransport usb;
        if (settings.TryGetValue("tcp", out var endpoint))
        {
            var colon = endpoint.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(endpoint[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)) throw Invalid(connection, "tcp=HOST:PORT");
            usb = new TcpTransport(endpoint[..colon], port);
        }
        else if (settings.ContainsKey("vid") || settings.ContainsKey("pid"))
        {
            usb = LibUsbTransport.Open(Hex(settings, "vid", connection), Hex(settings, "pid", connection), settings.GetValueOrDefault("serial"), channel);
        }
        else
        {
            var attached = LibUsbTransport.List(KnownChips);
            var first = attached.FirstOrDefault() ?? throw new ProgrammerException(ErrorCodes.NoDevices, "No FT2232H, FT4232H or FT232H adapter is attached.");
            var ids = first.Split(' ')[0].Split(':');
            usb = LibUsbTransport.Open(ushort.Parse(ids[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), ushort.Parse(ids[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture), settings.GetValueOrDefault("serial"), channel);
        }
        try
        {
            var tap = new MpsseTap(usb, khz * 1000, latency);
            var devices = irLengths.Select((l, i) => new JtagChainDevice($"{usb.Location} device {i + 1}", l, null)).ToList();
            return [new JtagChain(tap, devices)];
        }
        catch
        {
            usb.Dispose();
            throw;
        }
    }

    /// <summary>Attached adapters this plugin can drive ("vid:pid serial"), for refresh_prg_list.</summary>
    public static IReadOnlyList<string> Attached() => LibUsbTransport.List(KnownChips);

    private static Dictionary<string, string> Parse(string connection)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connection.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) throw Invalid(connection, $"'{part}' is not NAME=VALUE");
            settings[part[..eq]] = part[(eq + 1)..];
        }
        var unknown = settings.Keys.Except(["vid", "pid", "serial", "channel", "khz", "chain", "latency", "tcp"], StringComparer.OrdinalIgnoreCase).ToList();
        return unknown.Count == 0 ? settings : throw Invalid(connection, $"unknown setting {unknown[0]}");
    }

    private static int Number(Dictionary<string, string> s, string name, int fallback, int min, int max, string connection) =>
        !s.TryGetValue(name, out var text) ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max ? v
        : throw Invalid(connection, $"{name} is a number from {min} to {max}");

    private static ushort Hex(Dictionary<string, string> s, string name, string connection) =>
        s.TryGetValue(name, out var text) && ushort.TryParse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v) ? v
        : throw Invalid(connection, $"{name} is 4 hex digits (vid=0403,pid=6010)");

    private static ProgrammerException Invalid(string connection, string why) =>
        new(ErrorCodes.ProgrammerInvalid, $"'ftdi:{connection}': {why}. Example: ftdi:vid=0403,pid=6010,channel=A,khz=6000");
}
