namespace Spps.Contracts.Programmers;

/// <summary>
/// Entry point of a programmer plugin (simulator, OpenOCD, USB FTDI ...). A connection string selects the
/// hardware, e.g. <c>sim:/path/to/boards</c> passes <c>/path/to/boards</c> to the provider named <c>sim</c>.
/// </summary>
public interface IProgrammerProvider
{
    /// <summary>Short name used before the colon in a programmer connection string.</summary>
    string Name { get; }

    /// <summary>Finds the JTAG targets reachable through this programmer, one per board position.</summary>
    /// <exception cref="ProgrammerException">The programmer cannot be reached.</exception>
    IReadOnlyList<IJtagPort> Discover(string connection);
}
