using System.Security.Cryptography;
using Spps.Contracts.Programmers;
using Spps.Device.Reference;

namespace Spps.Programmer.Simulator;

/// <summary>
/// Programmer "sim": every <c>board-*.json</c> in a folder is one board with one reference device.
/// </summary>
public sealed class SimulatorProvider : IProgrammerProvider, IVirtualBoardFarm
{
    public string Name => "sim";

    public IReadOnlyList<IJtagPort> Discover(string connection)
    {
        if (!Directory.Exists(connection))
            throw new ProgrammerException(ErrorCodes.NoDevices, $"No board folder {connection}. Make boards with: spps-station sim create-boards --dir {connection} --count N");
        var ports = new List<IJtagPort>();
        try
        {
            foreach (var path in Boards(connection)) ports.Add(VirtualTap.Open(path));
        }
        catch
        {
            foreach (var port in ports) port.Dispose();
            throw;
        }
        return ports.Count > 0 ? ports : throw new ProgrammerException(ErrorCodes.NoDevices, $"No boards in {connection}. Make some with: spps-station sim create-boards --dir {connection} --count N");
    }

    public IReadOnlyList<VirtualBoardState> CreateBoards(string directory, int count, string sppsHome)
    {
        if (count is < 1 or > 100_000) throw new ProgrammerException(ErrorCodes.ProgrammerInvalid, "--count must be between 1 and 100000.");
        Directory.CreateDirectory(directory);
        var vendor = SiliconVendor.OpenOrCreate(sppsHome);
        var next = Boards(directory).Select(p => int.TryParse(Path.GetFileNameWithoutExtension(p)["board-".Length..], out var n) ? n : 0).DefaultIfEmpty(0).Max() + 1;
        var created = new List<VirtualBoardState>();
        for (var i = 0; i < count; i++)
        {
            var dsn = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(JtagInstructions.DsnBytes));
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            var board = new BoardFile
            {
                Dsn = dsn,
                IdCode = JtagInstructions.ReferenceIdCode,
                StaticKeyPkcs8 = Convert.ToBase64String(key.ExportPkcs8PrivateKey()),
                Certificate = Convert.ToBase64String(vendor.IssueDeviceCertificate(dsn, key)),
                FactoryKey = Convert.ToBase64String(HKDF.DeriveKey(HashAlgorithmName.SHA384, vendor.LotKey, 32, [], ProtocolLabels.FactoryKey(dsn))),
                FactoryLot = vendor.LotId,
            };
            var path = Path.Combine(directory, $"board-{next + i:D3}.json");
            board.Save(path);
            created.Add(State(path, board));
        }
        return created;
    }

    public IReadOnlyList<VirtualBoardState> Inspect(string directory)
    {
        if (!Directory.Exists(directory)) throw new ProgrammerException(ErrorCodes.NoDevices, $"No board folder {directory}.");
        return Boards(directory).Select(p => State(p, BoardFile.Load(p))).ToList();
    }

    public string ExportFactoryKeyDatabase(string sppsHome, byte[] recipientPublicKey, string recipientUuid)
    {
        var vendor = SiliconVendor.OpenOrCreate(sppsHome);
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        using var recipient = ECDiffieHellman.Create();
        recipient.ImportSubjectPublicKeyInfo(recipientPublicKey, out _);
        var z = ephemeral.DeriveRawSecretAgreement(recipient.PublicKey);
        var kek = HKDF.DeriveKey(HashAlgorithmName.SHA384, z, 32, [], System.Text.Encoding.UTF8.GetBytes($"SPPS DFK DB v1|{vendor.LotId}|{recipientUuid}"));
        using var aes = Aes.Create();
        aes.Key = kek;
        var wrapped = aes.EncryptKeyWrapPadded(vendor.LotKey);
        CryptographicOperations.ZeroMemory(z);
        CryptographicOperations.ZeroMemory(kek);
        return System.Text.Json.JsonSerializer.Serialize(new
        {
            lot = vendor.LotId,
            ephemeral = Convert.ToBase64String(ephemeral.ExportSubjectPublicKeyInfo()),
            wrapped = Convert.ToBase64String(wrapped),
        });
    }

    private static IEnumerable<string> Boards(string directory) =>
        Directory.EnumerateFiles(directory, "board-*.json").Order(StringComparer.Ordinal);

    private static VirtualBoardState State(string path, BoardFile board) =>
        new(board.Dsn, board.State.Programmed ? "programmed" : "blank", board.State.Design, path, board.State.CycleCount);
}
