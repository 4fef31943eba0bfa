using System.Text.Json;
using System.Text.Json.Serialization;

namespace Spps.Programmer.Simulator;

/// <summary>
/// One virtual board: the device's identity and secrets as the silicon would hold them, and its
/// non-volatile state, which changes only through the mailbox protocol.
/// </summary>
internal sealed class BoardFile
{
    public int Version { get; set; } = 1;
    public string Dsn { get; set; } = "";
    public uint IdCode { get; set; }
    public string StaticKeyPkcs8 { get; set; } = "";
    public string Certificate { get; set; } = "";
    public string FactoryKey { get; set; } = "";
    public string FactoryLot { get; set; } = "";
    public NonVolatileState State { get; set; } = new();

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static BoardFile Load(string path) =>
        JsonSerializer.Deserialize<BoardFile>(File.ReadAllText(path), Options)
            ?? throw new InvalidDataException($"{path} is empty.");

    public void Save(string path) => Files.WriteAtomically(path, JsonSerializer.SerializeToUtf8Bytes(this, Options), secret: true);
}

internal sealed class NonVolatileState
{
    public bool Programmed { get; set; }
    public string? Design { get; set; }
    public string? DesignDigest { get; set; }
    public string? KipCheck { get; set; }
    public Dictionary<string, string> Components { get; set; } = new();
    public int UserKeys { get; set; }
    public int CycleCount { get; set; }
}
