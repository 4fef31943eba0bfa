using System.Buffers.Binary;
using Newtonsoft.Json.Linq;
using Spps.Contracts.Programmers;
using Spps.Core.Plugins;
using Spps.Device.Reference;
using Spps.Flow.Tests;
using Spps.Jtag;

namespace Spps.Programmer.Tests;

/// <summary>Chained simulated boards behind the TAP state machine, through the plugin as the station loads it.</summary>
public sealed class SimulatedChainTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly IProgrammerProvider _sim = SimBoards.Plugin();

    private string Boards(int count, int chain)
    {
        var dir = Path.Combine(_temp.Path, "boards-" + Guid.NewGuid().ToString("N")[..6]);
        ((IJtagBoardSimulator)_sim).CreateChainedBoards(dir, count, chain, Path.Combine(_temp.Path, "home"));
        return dir;
    }

    private static string[] Dsns(string boardFile) =>
        ((JArray)JObject.Parse(File.ReadAllText(boardFile))["chain"]!).Select(d => (string)d["dsn"]!).ToArray();

    [Fact]
    public void After_reset_a_three_device_chain_shows_three_IDCODEs_in_one_DR_scan()
    {
        var dir = Boards(1, 3);
        using var chain = ((IJtagChainProvider)_sim).OpenChains(dir).Single();
        Assert.Equal(3, chain.Devices.Count);
        chain.Tap.Reset();
        var tdo = chain.Tap.ShiftDr(new byte[12], 96);
        for (var i = 0; i < 3; i++) Assert.Equal(JtagInstructions.ReferenceIdCode, BinaryPrimitives.ReadUInt32LittleEndian(tdo.AsSpan(i * 4)));
        // IR capture is ..01 on every device
        var ir = chain.Tap.ShiftIr([0xFF, 0xFF, 0xFF], 24);
        Assert.Equal(new byte[] { 0x01, 0x01, 0x01 }, ir);
    }

    [Fact]
    public void Each_position_of_a_chain_reads_its_own_DSN_with_the_others_in_bypass()
    {
        var dir = Boards(1, 3);
        var file = Directory.GetFiles(dir, "board-*.json").Single();
        var ports = _sim.Discover(dir);
        try
        {
            Assert.Equal(3, ports.Count);
            var dsns = Dsns(file);
            foreach (var (port, i) in ports.Select((p, i) => (p, i)).Reverse())
            {
                port.ResetTap();
                port.ShiftIr(JtagInstructions.Dsn, 8);
                Assert.Equal(dsns[i], Convert.ToHexStringLower(port.ShiftDr(new byte[16], 128)));
                Assert.EndsWith($"device {i + 1} of 3", port.Location);
            }
        }
        finally
        {
            foreach (var p in ports) p.Dispose();
        }
    }

    [Fact]
    public void A_mailbox_request_to_the_middle_device_is_answered_by_that_device_only()
    {
        var dir = Boards(1, 3);
        var dsns = Dsns(Directory.GetFiles(dir, "board-*.json").Single());
        var ports = _sim.Discover(dir);
        try
        {
            var middle = ports[1];
            middle.ResetTap();
            middle.ShiftIr(JtagInstructions.MailboxWrite, 8);
            middle.ShiftDr([(byte)MailboxCommand.GetState], 8);
            middle.ShiftIr(JtagInstructions.MailboxExecute, 8);
            Assert.Equal((byte)MailboxStatus.Ok, middle.ShiftDr(new byte[1], 8)[0]);
            middle.ShiftIr(JtagInstructions.MailboxResponseLength, 8);
            var length = BinaryPrimitives.ReadInt32LittleEndian(middle.ShiftDr(new byte[4], 32));
            middle.ShiftIr(JtagInstructions.MailboxRead, 8);
            var state = JObject.Parse(System.Text.Encoding.UTF8.GetString(middle.ShiftDr(new byte[length], length * 8)));
            Assert.Equal(dsns[1], (string)state["dsn"]!);
        }
        finally
        {
            foreach (var p in ports) p.Dispose();
        }
    }

    [Fact]
    public async Task A_board_in_use_waits_for_its_holder()
    {
        var dir = Boards(1, 2);
        var file = Directory.GetFiles(dir, "board-*.json").Single();
        var pins = ((IJtagBoardSimulator)_sim).OpenPins([file]);
        var other = Task.Run(() => ((IJtagBoardSimulator)_sim).OpenPins([file]));
        Assert.NotSame(other, await Task.WhenAny(other, Task.Delay(TimeSpan.FromSeconds(1)))); // held: waits (up to 30 s, then SPPS5005)
        pins.Dispose();
        (await other).Dispose();
    }

    public void Dispose() => _temp.Dispose();
}
