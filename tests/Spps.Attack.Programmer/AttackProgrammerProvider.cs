using Spps.Contracts.Programmers;
using Spps.Programmer.Simulator;

namespace Spps.Attack.Programmer;

/// <summary>
/// Programmer "attack": the boards of <c>sim:DIR</c>, reached through <see cref="LyingPort"/>, which
/// rewrites what the station and the device say to each other as <see cref="Tricks"/> asks.
/// </summary>
public sealed class AttackProgrammerProvider : IProgrammerProvider
{
    private readonly SimulatorProvider _simulator = new();

    public string Name => "attack";

    public IReadOnlyList<IJtagPort> Discover(string connection)
    {
        var tricks = Tricks.FromEnvironment();
        return _simulator.Discover(connection).Select(port => (IJtagPort)new LyingPort(port, tricks)).ToList();
    }
}
