namespace Spps.Contracts.Programmers;

/// <summary>State of one simulated board, as <c>spps-station sim inspect</c> shows it.</summary>
/// <param name="Dsn">Device serial number, hex.</param>
/// <param name="State"><c>blank</c> or <c>programmed</c>.</param>
/// <param name="Design">Name of the programmed design, or null.</param>
/// <param name="Location">The board's file.</param>
/// <param name="CycleCount">Program/erase cycles so far.</param>
public sealed record VirtualBoardState(string Dsn, string State, string? Design, string Location, int CycleCount);

/// <summary>Optional capability of a programmer provider that simulates boards.</summary>
public interface IVirtualBoardFarm
{
    /// <summary>
    /// Creates <paramref name="count"/> blank boards in <paramref name="directory"/>, made by the simulated
    /// silicon vendor whose home is <paramref name="vendorHome"/> (created on first use).
    /// </summary>
    IReadOnlyList<VirtualBoardState> CreateBoards(string directory, int count, string vendorHome);

    /// <summary>Reads the state of every board in <paramref name="directory"/>.</summary>
    IReadOnlyList<VirtualBoardState> Inspect(string directory);

    /// <summary>
    /// The DFK database of the simulated vendor at <paramref name="vendorHome"/> for its device lot, wrapped to
    /// one M-HSM and signed by the vendor's DFK signer (docs/formats.md, "DFK database").
    /// </summary>
    string ExportFactoryKeyDatabase(string vendorHome, byte[] recipientPublicKey, string recipientUuid);
}
