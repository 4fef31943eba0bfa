using System.Security.Cryptography;
using Spps.Contracts.Programmers;
using Spps.Device.Reference;
using Spps.Jtag;

namespace Spps.Programmer.Simulator;

/// <summary>
/// Programmer "sim": every <c>board-*.json</c> in a folder is one board: one reference device, or a chain of them.
/// </summary>
public sealed class SimulatorProvider : IProgrammerProvider, IVirtualBoardFarm, IJtagChainProvider, IJtagBoardSimulator
{
    /// <summary>Longest chain on one board: MBOX_WRITE drops the leading bits that do not make a byte (the bypass bits).</summary>
    public const int MaxChain = 8;

    public string Name => "sim";

    public IReadOnlyList<IJtagPort> Discover(string connection)
    {
        return OpenChains(connection).SelectMany(chain => ChainedDevicePort.ForEveryDevice(chain, JtagInstructions.IrLength)).ToList();
    }

    /// <summary>Every board file in the folder is one chain (of one device, or of several on a chained board).</summary>
    public IReadOnlyList<JtagChain> OpenChains(string connection)
    {
        if (!Directory.Exists(connection))
            throw new ProgrammerException(ErrorCodes.NoDevices, $"No board folder {connection}. Make boards with: spps-station sim create-boards --dir {connection} --count N");
        var chains = new List<JtagChain>();
        try
        {
            foreach (var path in Boards(connection))
            {
                var pins = BoardImage.OpenChain([path]);
                var devices = pins.Devices.Select((d, i) => new JtagChainDevice($"{Path.GetFileName(path)}#{i + 1}", JtagInstructions.IrLength, d.Device.Board.IdCode)).ToList();
                chains.Add(new JtagChain(new BitbangTap(new PinsWire(pins, path)), devices));
            }
        }
        catch
        {
            foreach (var chain in chains) chain.Dispose();
            throw;
        }
        return chains.Count > 0 ? chains : throw new ProgrammerException(ErrorCodes.NoDevices, $"No boards in {connection}. Make some with: spps-station sim create-boards --dir {connection} --count N");
    }

    public IJtagPins OpenPins(IReadOnlyList<string> boardFiles) =>
        boardFiles.Count > 0 ? BoardImage.OpenChain(boardFiles) : throw new ProgrammerException(ErrorCodes.NoDevices, "Name at least one board file (--board FILE).");

    public IReadOnlyList<VirtualBoardState> CreateBoards(string directory, int count, string vendorHome) =>
        CreateChainedBoards(directory, count, 1, vendorHome);

    public IReadOnlyList<VirtualBoardState> CreateChainedBoards(string directory, int count, int chainLength, string vendorHome)
    {
        if (count is < 1 or > 100_000) throw new ProgrammerException(ErrorCodes.ProgrammerInvalid, "--count must be between 1 and 100000.");
        if (chainLength is < 1 or > MaxChain) throw new ProgrammerException(ErrorCodes.ProgrammerInvalid, $"--chain must be between 1 and {MaxChain} devices.");
        Directory.CreateDirectory(directory);
        using var vendor = SimulatedSiliconVendor.OpenOrCreate(vendorHome);
        var next = Boards(directory).Select(p => int.TryParse(Path.GetFileNameWithoutExtension(p)["board-".Length..], out var n) ? n : 0).DefaultIfEmpty(0).Max() + 1;
        var created = new List<VirtualBoardState>();
        for (var i = 0; i < count; i++)
        {
            var devices = Enumerable.Range(0, chainLength).Select(_ => NewDevice(vendor)).ToList();
            var image = BoardImage.Create(Path.Combine(directory, $"board-{next + i:D3}.json"), devices);
            created.AddRange(States(image));
        }
        return created;
    }

    public IReadOnlyList<VirtualBoardState> Inspect(string directory)
    {
        if (!Directory.Exists(directory)) throw new ProgrammerException(ErrorCodes.NoDevices, $"No board folder {directory}.");
        return Boards(directory).SelectMany(p => States(BoardImage.Load(p))).ToList();
    }

    public string ExportFactoryKeyDatabase(string vendorHome, byte[] recipientPublicKey, string recipientUuid)
    {
        using var vendor = SimulatedSiliconVendor.OpenOrCreate(vendorHome);
        return vendor.ExportFactoryKeyDatabase(recipientPublicKey, recipientUuid);
    }

    private static IEnumerable<string> Boards(string directory) =>
        Directory.EnumerateFiles(directory, "board-*.json").Order(StringComparer.Ordinal);

    private static IEnumerable<VirtualBoardState> States(BoardImage image) =>
        image.Devices.Select((board, i) => new VirtualBoardState(board.Dsn, board.State.Programmed ? "programmed" : "blank", board.State.Design, image.Location(i), board.State.CycleCount));

    private static BoardFile NewDevice(SimulatedSiliconVendor vendor)
    {
        var dsn = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(JtagInstructions.DsnBytes));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        return new BoardFile
        {
            Dsn = dsn,
            IdCode = JtagInstructions.ReferenceIdCode,
            StaticKeyPkcs8 = Convert.ToBase64String(key.ExportPkcs8PrivateKey()),
            Certificate = Convert.ToBase64String(vendor.IssueDeviceCertificate(dsn, key)),
            FactoryKey = Convert.ToBase64String(vendor.FactoryKey(dsn)),
            FactoryLot = vendor.LotId,
        };
    }
}
