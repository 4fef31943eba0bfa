using Spps.Jtag;

namespace Spps.Programmer.Tests;

/// <summary>The IEEE 1149.1 TAP controller: the 16 states and their TMS transitions.</summary>
public sealed class TapControllerTests
{
    [Theory]
    [InlineData(TapState.Reset, false, TapState.Idle)]
    [InlineData(TapState.Reset, true, TapState.Reset)]
    [InlineData(TapState.Idle, true, TapState.DrSelect)]
    [InlineData(TapState.DrSelect, true, TapState.IrSelect)]
    [InlineData(TapState.IrSelect, true, TapState.Reset)]
    [InlineData(TapState.DrCapture, true, TapState.DrExit1)]
    [InlineData(TapState.DrShift, false, TapState.DrShift)]
    [InlineData(TapState.DrExit1, false, TapState.DrPause)]
    [InlineData(TapState.DrPause, true, TapState.DrExit2)]
    [InlineData(TapState.DrExit2, false, TapState.DrShift)]
    [InlineData(TapState.DrUpdate, true, TapState.DrSelect)]
    [InlineData(TapState.IrExit2, true, TapState.IrUpdate)]
    [InlineData(TapState.IrUpdate, false, TapState.Idle)]
    public void Transitions_follow_the_standard(TapState from, bool tms, TapState to) =>
        Assert.Equal(to, TapController.Next(from, tms));

    [Fact]
    public void Five_TMS_ones_reach_Test_Logic_Reset_from_every_state()
    {
        foreach (var start in Enum.GetValues<TapState>())
        {
            var s = start;
            for (var i = 0; i < 5; i++) s = TapController.Next(s, true);
            Assert.Equal(TapState.Reset, s);
        }
    }

    [Fact]
    public void Every_path_leads_where_it_says_and_is_shortest_for_the_usual_moves()
    {
        foreach (var from in Enum.GetValues<TapState>())
            foreach (var to in Enum.GetValues<TapState>())
            {
                var s = from;
                foreach (var tms in TapController.Path(from, to)) s = TapController.Next(s, tms);
                Assert.Equal(to, s);
            }
        Assert.Equal([true, false, false], TapController.Path(TapState.Idle, TapState.DrShift));
        Assert.Equal([true, true, false, false], TapController.Path(TapState.Idle, TapState.IrShift));
        Assert.Equal([true, false], TapController.Path(TapState.DrExit1, TapState.Idle));
        Assert.Equal([true, false], TapController.Path(TapState.DrPause, TapState.DrShift));
    }
}
