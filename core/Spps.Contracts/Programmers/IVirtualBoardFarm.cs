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
    /// <summary>Creates <paramref name="count"/> blank boards in <paramref name="directory"/>, with device certificates from the silicon-vendor CA under <paramref name="sppsHome"/>.</summary>
    IReadOnlyList<VirtualBoardState> CreateBoards(string directory, int count, string sppsHome);

    /// <summary>Reads the state of every board in <paramref name="directory"/>.</summary>
    IReadOnlyList<VirtualBoardState> Inspect(string directory);

    /// <summary>
    /// The simulated silicon vendor's diversified factory key database (DFK DB) for its device lot, wrapped
    /// to one M-HSM: <c>{lot, ephemeral, wrapped}</c> JSON where wrapped = AES-KWP(HKDF-SHA-384(ECDH(ephemeral,
    /// recipient), salt = empty, info = "SPPS DFK DB v1|lot|uuid"), lot key).
    /// </summary>
    string ExportFactoryKeyDatabase(string sppsHome, byte[] recipientPublicKey, string recipientUuid);
}
