using System.Security.Cryptography;
using Newtonsoft.Json.Linq;

using Spps.Core.IO;

namespace Spps.Core.Formats;

/// <summary>
/// Job Data Container v1: a design's name, target device, components (SECURITY, FABRIC, one ENVM entry
/// per named eNVM client) and design digest, with the component bytes as payload. Unsigned: the designer
/// has no HSM; integrity comes from the per-component SHA-256, the design digest and the payload SHA-384.
/// </summary>
public sealed class JdcFile
{
    public const string Kind = "jdc";
    public const int Version = 1;
    public const long EnvmPageSize = 4096;

    private readonly SppsFile _file;

    private JdcFile(SppsFile file, string design, string device, IReadOnlyList<(DesignComponent Component, long Offset)> components, string designDigest)
    {
        _file = file;
        Design = design;
        Device = device;
        Entries = components;
        DesignDigestHex = designDigest;
    }

    public string Path => _file.Path;
    public string Design { get; }
    public string Device { get; }
    public IReadOnlyList<(DesignComponent Component, long Offset)> Entries { get; }
    public IEnumerable<DesignComponent> Components => Entries.Select(e => e.Component);
    public string DesignDigestHex { get; }

    public static JdcFile Open(string path, bool verifyPayload = true)
    {
        var file = SppsFile.Read(path, Kind, signed: false);
        HeaderFields.ExpectVersion(file, Version);
        var h = file.Header;
        var design = HeaderFields.String(file, h, "design");
        var device = HeaderFields.String(file, h, "device");
        var entries = new List<(DesignComponent, long)>();
        long expectedOffset = 0;
        foreach (var c in HeaderFields.Objects(file, h, "components"))
        {
            var typeText = HeaderFields.String(file, c, "type");
            if (!Enum.TryParse<ComponentType>(typeText, out var type) || typeText != type.ToString())
                throw HeaderFields.Invalid(file, c["type"], "type", "SECURITY, FABRIC or ENVM");
            var offset = HeaderFields.Long(file, c, "offset", 0);
            var length = HeaderFields.Long(file, c, "length", 0);
            if (offset != expectedOffset) throw HeaderFields.Invalid(file, c["offset"], "offset", $"{expectedOffset} (components are stored back to back)");
            expectedOffset += length;
            var capacity = type == ComponentType.ENVM ? HeaderFields.Long(file, c, "capacity", length) : 0;
            entries.Add((new DesignComponent(type, HeaderFields.String(file, c, "name"), length, HeaderFields.Hex(file, c, "sha256", 32), capacity), offset));
        }
        var envm = entries.Where(e => e.Item1.Type == ComponentType.ENVM).Select(e => e.Item1).ToList(); // capacity >= length: read so
        var deviceEnvm = DeviceEnvm.Bytes(device);
        if (envm.Any(c => c.Capacity > deviceEnvm) || envm.Sum(c => c.Capacity) > deviceEnvm) // each is at most deviceEnvm before they are added up
            throw new SppsException(ErrorCodes.JdcInvalid, $"The eNVM clients need more than the {deviceEnvm} bytes of eNVM of {device}.", file.Where(h["components"]));
        if (expectedOffset != file.PayloadLength)
            throw new SppsException(ErrorCodes.JdcInvalid, $"The components add up to {expectedOffset} bytes but the payload is {file.PayloadLength}.", file.Where(h["components"]));
        if (entries.Count(e => e.Item1.Type == ComponentType.FABRIC) > 1 || entries.Count(e => e.Item1.Type == ComponentType.SECURITY) > 1)
            throw new SppsException(ErrorCodes.JdcInvalid, "A design has at most one FABRIC and one SECURITY component.", file.Where(h["components"]));
        var digest = HeaderFields.Hex(file, h, "design_digest", 32);
        if (DesignDigest.Compute(entries.Select(e => e.Item1)) != digest)
            throw new SppsException(ErrorCodes.JdcInvalid, "The design digest does not match the components: the JDC was edited.", file.Where(h["design_digest"]));
        var jdc = new JdcFile(file, design, device, entries, digest);
        if (verifyPayload) jdc.VerifyComponents();
        return jdc;
    }

    /// <summary>Streams the payload once, checking every component's SHA-256 and the payload SHA-256.</summary>
    public void VerifyComponents()
    {
        using var payload = _file.OpenPayload();
        var buffer = new byte[1 << 20];
        foreach (var (component, _) in Entries)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var left = component.Length;
            while (left > 0)
            {
                var n = payload.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n == 0) throw new SppsException(ErrorCodes.TruncatedFile, "The JDC payload ended early.", new SourceLocation(Path));
                hash.AppendData(buffer, 0, n);
                left -= n;
            }
            if (Convert.ToHexStringLower(hash.GetHashAndReset()) != component.Sha256)
                throw new SppsException(ErrorCodes.JdcInvalid, $"Component {component.Type} '{component.Name}' does not match its SHA-256: the JDC was modified.", new SourceLocation(Path));
        }
        payload.CopyTo(Stream.Null);
    }

    /// <summary>Opens one component's bytes (not re-verified: call after <see cref="Open"/> verified them).</summary>
    public Stream OpenComponent(DesignComponent component)
    {
        var entry = Entries.First(e => e.Component == component);
        var stream = File.OpenRead(Path);
        stream.Position = _file.PayloadOffset + entry.Offset;
        return new BoundedStream(stream, component.Length);
    }

    /// <summary>Writes a JDC from raw parts; component files are streamed, never loaded whole.</summary>
    public static JdcFile Create(string outputPath, string design, string device, string fabricPath, string? securityPath, IReadOnlyList<(string Name, string Path)> envmClients)
    {
        if (string.IsNullOrWhiteSpace(design)) throw new SppsException(ErrorCodes.InvalidOptionValue, "--design needs a name.");
        if (string.IsNullOrWhiteSpace(device)) throw new SppsException(ErrorCodes.InvalidOptionValue, "--device needs a device name, e.g. M2S090TS.");
        var sources = new List<(ComponentType Type, string Name, Func<Stream> Open, long Length, long Capacity)>();
        if (securityPath is not null)
        {
            var info = Existing(securityPath, "--security");
            sources.Add((ComponentType.SECURITY, "security", () => File.OpenRead(securityPath), info.Length, 0));
        }
        else
        {
            var policy = System.Text.Encoding.UTF8.GetBytes("{\"security_policy\":{\"user_keys\":\"from keyset\",\"jtag_lock\":true,\"debug_disabled\":true}}\n");
            sources.Add((ComponentType.SECURITY, "security", () => new MemoryStream(policy), policy.Length, 0));
        }
        var fabric = Existing(fabricPath, "--fabric");
        sources.Add((ComponentType.FABRIC, "fabric", () => File.OpenRead(fabricPath), fabric.Length, 0));
        var envmLeft = DeviceEnvm.Bytes(device);
        foreach (var (name, path) in envmClients)
        {
            if (string.IsNullOrWhiteSpace(name) || sources.Any(s => s.Type == ComponentType.ENVM && s.Name == name))
                throw new SppsException(ErrorCodes.InvalidOptionValue, $"eNVM client names must be unique and not empty ('{name}').");
            Existing(path, "--envm-client");
            var image = IntelHex.ReadClientFile(path, envmLeft, $"the eNVM {device} has left for client {name}");
            var capacity = Math.Max((image.Length + EnvmPageSize - 1) / EnvmPageSize * EnvmPageSize, EnvmPageSize);
            if (capacity > envmLeft)
                throw new SppsException(ErrorCodes.InvalidOptionValue, $"eNVM client {name} needs {capacity} bytes (whole 4 KiB pages), but {device} has {envmLeft} bytes of eNVM left.");
            envmLeft -= capacity;
            sources.Add((ComponentType.ENVM, name, () => new MemoryStream(image), image.Length, capacity));
        }

        // First pass hashes each component; the second writes them, so memory stays flat for any size.
        var components = new List<DesignComponent>();
        using var payloadHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var s in sources)
        {
            using var stream = s.Open();
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            CopyHashing(stream, Stream.Null, hash, payloadHash);
            components.Add(new DesignComponent(s.Type, s.Name, s.Length, Convert.ToHexStringLower(hash.GetHashAndReset()), s.Capacity));
        }
        var header = new JObject
        {
            ["version"] = Version,
            ["design"] = design,
            ["device"] = device,
            ["created_by"] = "spps jdc create",
            ["design_digest"] = DesignDigest.Compute(components),
        };
        var list = new JArray();
        long offset = 0;
        foreach (var c in components)
        {
            var entry = new JObject { ["type"] = c.Type.ToString(), ["name"] = c.Name, ["offset"] = offset, ["length"] = c.Length, ["sha256"] = c.Sha256 };
            if (c.Type == ComponentType.ENVM) entry["capacity"] = c.Capacity;
            list.Add(entry);
            offset += c.Length;
        }
        header["components"] = list;
        header["payload"] = new JObject { ["length"] = offset, ["sha256"] = Convert.ToHexStringLower(payloadHash.GetHashAndReset()) };
        SppsFile.Write(outputPath, Kind, header, sign: null, writePayload: output =>
        {
            foreach (var s in sources)
            {
                using var stream = s.Open();
                stream.CopyTo(output, 1 << 20);
            }
        });
        return Open(outputPath, verifyPayload: false);
    }

    private static FileInfo Existing(string path, string option)
    {
        var info = new FileInfo(path);
        return info.Exists ? info : throw new SppsException(ErrorCodes.FileNotFound, $"{option}: {path} does not exist.");
    }

    private static void CopyHashing(Stream input, Stream output, params IncrementalHash[] hashes)
    {
        var buffer = new byte[1 << 20];
        int n;
        while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
        {
            foreach (var h in hashes) h.AppendData(buffer, 0, n);
            output.Write(buffer, 0, n);
        }
    }
}
