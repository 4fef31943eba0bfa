using Newtonsoft.Json.Linq;
using Spps.Flow.Tests;

namespace Spps.Programmer.Tests;

/// <summary>FlashPro Express programmer commands through the real spps-station.</summary>
public sealed class ProgrammerCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();

    [Fact]
    public void Scan_chain_lists_every_device_of_every_chain_and_ping_names_the_programmer_that_does_not_answer()
    {
        var cm = new Site(_temp.Path, "cm");
        cm.Station("sim", "create-boards", "--dir", "chain", "--count", "2", "--chain", "3").ShouldSucceed();
        var scan = cm.Json("spps-station", "scan-chain-prg", "--programmer", "sim:chain");
        var chains = (JArray)scan["chains"]!;
        Assert.Equal(2, chains.Count);
        Assert.All(chains, c => Assert.Equal(["0x15350B4B", "0x15350B4B", "0x15350B4B"], ((JArray)c["devices"]!).Select(d => (string)d["idcode"]!)));
        Assert.All(chains, c => Assert.Equal([1, 2, 3], ((JArray)c["devices"]!).Select(d => (int)d["hw_location"]!)));

        var dead = "openocd-rpc:127.0.0.1:" + OpenOcdConfig.ClosedPort();
        var ping = cm.Station("ping-prg", "--programmer", $"sim:chain;{dead}");
        ping.ShouldFail(5, "SPPS5009");
        Assert.Contains("sim:chain: answers; 2 chain(s), 6 device(s)", ping.Stdout);
        Assert.Contains($"{dead}: error SPPS5009", ping.All);

        var list = cm.Station("refresh-prg-list").ShouldSucceed();
        Assert.Contains("plugin openocd:", list.Stdout);
        Assert.Contains("plugin ftdi:", list.Stdout);
        Assert.Contains("plugin sim:", list.Stdout);
    }

    public void Dispose() => _temp.Dispose();
}
