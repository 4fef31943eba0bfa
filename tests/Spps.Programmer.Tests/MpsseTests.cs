using System.Buffers.Binary;
using Newtonsoft.Json.Linq;
using Spps.Contracts.Programmers;
using Spps.Core.Plugins;
using Spps.Device.Reference;
using Spps.Flow.Tests;
using Spps.Jtag;
using Spps.Programmer.Ftdi;

namespace Spps.Programmer.Tests;

/// <summary>The MPSSE command encoder, and the FTDI tap against an MPSSE engine emulator wired to simulated boards.</summary>
public sealed class MpsseTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly IProgrammerProvider _sim = SimBoards.Plugin();

    [Theory]
    [InlineData(30_000_000, 0, 30_000_000)]
    [InlineData(6_000_000, 4, 6_000_000)]
    [InlineData(10_000_000, 2, 10_000_000)]
    [InlineData(7_000_000, 4, 6_000_000)] // never faster than asked
    [InlineData(1_000, 29_999, 1_000)]
    public void The_clock_divisor_gives_the_fastest_TCK_not_above_the_request(int hz, int divisor, int actual)
    {
        Assert.Equal(divisor, Mpsse.Divisor(hz));
        Assert.Equal(actual, Mpsse.FrequencyOf(Mpsse.Divisor(hz)));
    }

    [Fact]
    public void Init_sets_the_60MHz_clock_divisor_and_JTAG_pins()
    {
        var o = new List<byte>();
        Mpsse.Init(o, 4);
        Assert.Equal(new byte[] { 0x8A, 0x97, 0x8D, 0x85, 0x86, 0x04, 0x00, 0x80, 0x08, 0x0B, 0x82, 0x00, 0x00 }, o);
    }

    [Fact]
    public void TMS_paths_go_seven_bits_per_command_with_TDI_in_bit_7()
    {
        var o = new List<byte>();
        Mpsse.Tms(o, [true, true, true, true, true, false, true, false, false], tdi: true);
        Assert.Equal(new byte[] { 0x4B, 6, 0x80 | 0b1011111, 0x4B, 1, 0x80 }, o);
        o.Clear();
        Mpsse.Tms(o, [true], tdi: false, read: true);
        Assert.Equal(new byte[] { 0x6B, 0, 1 }, o);
    }

    [Fact]
    public void Long_byte_shifts_split_at_64_KiB_per_command()
    {
        var o = new List<byte>();
        Mpsse.Bytes(o, new byte[70_000], read: false);
        Assert.Equal(3 + 65536 + 3 + 4464, o.Count);
        Assert.Equal(new byte[] { 0x19, 0xFF, 0xFF }, o.Take(3));
        Assert.Equal(new byte[] { 0x19, 0x6F, 0x11 }, o.Skip(3 + 65536).Take(3)); // 4464 - 1 = 0x116F
    }

    [Fact]
    public void Two_status_bytes_start_every_512_byte_packet_and_are_removed()
    {
        var transfer = new byte[512 + 512 + 10];
        for (var p = 0; p < 3; p++) { transfer[p * 512] = 0x32; transfer[p * 512 + 1] = 0x60; }
        for (var i = 0; i < transfer.Length; i++) if (i % 512 >= 2) transfer[i] = (byte)(i % 251);
        var payload = new byte[transfer.Length];
        var n = Mpsse.StripStatus(transfer, payload);
        Assert.Equal(510 + 510 + 8, n);
        Assert.Equal((byte)(514 % 251), payload[510]);
        Assert.DoesNotContain((byte)0x32, payload.Take(n).Where((b, i) => i % 510 == 0 && b == 0x32 && payload[i + 1] == 0x60));
    }

    private (MpsseEmulator Emulator, IJtagPins Pins, string[] Dsns) Emulated(int devices)
    {
        var (file, dsns) = SimBoards.One(_sim, _temp.Path, devices);
        var pins = ((IJtagBoardSimulator)_sim).OpenPins([file]);
        return (new MpsseEmulator(pins), pins, dsns);
    }

    [Fact]
    public void The_tap_sets_up_the_engine_as_the_datasheet_says_and_reads_a_chain()
    {
        var (emulator, pins, dsns) = Emulated(3);
        using (pins)
        {
            var tap = new MpsseTap(emulator, 6_000_000, latencyMs: 2);
            Assert.Equal(2, emulator.LatencyMs);
            Assert.Equal(FtdiRequest.BitModeMpsse, emulator.BitMode);
            Assert.Equal((ushort)4, emulator.Divisor);
            Assert.True(emulator.DivideBy5Off && emulator.AdaptiveOff && emulator.ThreePhaseOff);
            Assert.Equal(((byte)0x08, (byte)0x0B), emulator.Low);
            Assert.Equal([(byte)0xAA], emulator.BadCommands); // only the synchronisation probe
            tap.Reset();
            var ids = tap.ShiftDr(new byte[12], 96);
            Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(JtagInstructions.ReferenceIdCode, BinaryPrimitives.ReadUInt32LittleEndian(ids.AsSpan(i * 4))));
            for (var i = 0; i < 3; i++)
            {
                var port = new ChainedDevicePort(tap, [8, 8, 8], i);
                port.ShiftIr(JtagInstructions.Dsn, 8);
                Assert.Equal(dsns[i], Convert.ToHexStringLower(port.ShiftDr(new byte[16], 128)));
            }
            tap.FrequencyHz = 30_000_000;
            Assert.Equal((ushort)0, emulator.Divisor);
        }
    }

    [Fact]
    public void A_long_shift_crosses_packets_and_chunks_and_comes_back_bit_exact()
    {
        var (emulator, pins, _) = Emulated(1);
        using (pins)
        {
            var tap = new MpsseTap(emulator, 6_000_000);
            tap.Reset();
            tap.ShiftIr([0xFF], 8); // BYPASS: TDO is TDI one clock late
            var data = new byte[5003];
            new Random(7).NextBytes(data);
            const int bits = 5003 * 8 - 3;
            emulator.KeepDelivered = true;
            var tdo = tap.ShiftDr(data, bits);
            Assert.False(JtagBits.Get(tdo, 0)); // the bypass register captures 0
            for (var i = 1; i < bits; i++) Assert.Equal(JtagBits.Get(data, i - 1), JtagBits.Get(tdo, i));
            Assert.True(emulator.Delivered.Sum(d => d.Length) > 5000);
            Assert.All(emulator.Delivered, d => Assert.All(d.Chunk(512), p => Assert.Equal(MpsseEmulator.Status, p.Take(2))));
            Assert.True(emulator.Delivered.Count >= 2); // more than one read: the chip's buffer is not overrun
        }
    }

    public void Dispose() => _temp.Dispose();
}
