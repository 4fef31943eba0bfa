using System.Text.Json;
using System.Text.Json.Nodes;
using Spps.Contracts.Programmers;

namespace Spps.Programmer.Simulator;

/// <summary>
/// One board file: a single device (the original format, a <see cref="BoardFile"/>), or a chain of devices
/// <c>{"version": 2, "chain": [device, ...]}</c> where the first device is nearest TDO.
/// </summary>
internal sealed class BoardImage
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly object _gate = new();

    private BoardImage(string path, List<BoardFile> devices, bool chained)
    {
        Path = path;
        Devices = devices;
        Chained = chained;
    }

    public string Path { get; }
    public List<BoardFile> Devices { get; }
    public bool Chained { get; }

    public static BoardImage Load(string path)
    {
        var node = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path} is not a JSON object.");
        if (node["chain"] is JsonArray chain)
        {
            var devices = chain.Select(d => d.Deserialize<BoardFile>(Options) ?? throw new InvalidDataException($"{path} has an empty chain entry.")).ToList();
            if (devices.Count == 0) throw new InvalidDataException($"{path} has an empty chain.");
            return new BoardImage(path, devices, true);
        }
        return new BoardImage(path, [BoardFile.Load(path)], false);
    }

    public static BoardImage Create(string path, List<BoardFile> devices)
    {
        var image = new BoardImage(path, devices, devices.Count > 1);
        image.Save();
        return image;
    }

    /// <summary>Where device <paramref name="index"/> sits, for logs and <c>sim inspect</c>: the file, with <c>#k</c> on chains.</summary>
    public string Location(int index) => Chained ? $"{Path}#{index + 1}" : Path;

    public void Save()
    {
        lock (_gate)
        {
            if (!Chained)
            {
                Devices[0].Save(Path);
                return;
            }
            var json = JsonSerializer.SerializeToUtf8Bytes(new JsonObject
            {
                ["version"] = 2,
                ["chain"] = new JsonArray(Devices.Select(d => (JsonNode?)JsonSerializer.SerializeToNode(d, Options)).ToArray()),
            }, Options);
            Files.WriteAtomically(Path, json, secret: true);
        }
    }

    /// <summary>
    /// Claims the board file for this process (a station holds a board exclusively while it works on it),
    /// waiting up to 30 s for another holder.
    /// </summary>
    public static FileStream Claim(string path)
    {
        var claimPath = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, "." + System.IO.Path.GetFileName(path) + ".claim");
        for (var attempt = 0; ; attempt++)
        {
            try { return new FileStream(claimPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (attempt < 1200) { Thread.Sleep(25); }
            catch (IOException) { throw new ProgrammerException(ErrorCodes.BoardBusy, $"Board {path} is in use by another station."); }
        }
    }

    /// <summary>Claims and opens boards as one chain, in order.</summary>
    public static SimulatedChain OpenChain(IReadOnlyList<string> paths)
    {
        var claims = new List<IDisposable>();
        var devices = new List<SimulatedTapDevice>();
        try
        {
            foreach (var path in paths)
            {
                if (!File.Exists(path)) throw new ProgrammerException(ErrorCodes.NoDevices, $"No board file {path}. Make boards with: spps-station sim create-boards --dir DIR --count N");
                claims.Add(Claim(path));
                BoardImage image;
                try { image = Load(path); }
                catch (Exception e) when (e is IOException or JsonException or InvalidDataException)
                {
                    throw new ProgrammerException(ErrorCodes.ProgrammerInvalid, $"Board file {path} is unreadable: {e.Message}");
                }
                devices.AddRange(image.Devices.Select(d => new SimulatedTapDevice(new VirtualDevice(d, image.Save))));
            }
            return new SimulatedChain(devices, claims);
        }
        catch
        {
            foreach (var d in devices) d.Dispose();
            foreach (var c in claims) c.Dispose();
            throw;
        }
    }
}
