using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json.Linq;
using Spps.Core.Formats;

namespace Spps.Core.Tests;

public sealed class JdcFileTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly byte[] _fabric = RandomNumberGenerator.GetBytes(3000);
    private readonly byte[] _security = Encoding.UTF8.GetBytes("{\"security_policy\":{\"jtag_lock\":true}}\n");
    private readonly byte[] _envmRaw = RandomNumberGenerator.GetBytes(5000);

    public void Dispose() => _dir.Dispose();

    private string Part(string name, byte[] bytes)
    {
        var path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private JdcFile CreateSample(string name = "design.jdc", bool withSecurity = true)
    {
        var hex = _dir.File("client1.hex");
        File.WriteAllText(hex, ":0400100001020304E2\n:00000001FF\n");
        return JdcFile.Create(_dir.File(name), "hello_world_sb", "M2S090TS", Part("fabric.bin", _fabric),
            withSecurity ? Part("security.json", _security) : null,
            [("MyClient1", hex), ("MyClient2", Part("client2.bin", _envmRaw))]);
    }

    private static byte[] ReadComponent(JdcFile jdc, DesignComponent component)
    {
        using var stream = jdc.OpenComponent(component);
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [Fact]
    public void Create_and_reopen_gives_the_design_back()
    {
        var created = CreateSample();

        var jdc = JdcFile.Open(created.Path);

        Assert.Equal("hello_world_sb", jdc.Design);
        Assert.Equal("M2S090TS", jdc.Device);
        Assert.Equal(
            ["SECURITY security", "FABRIC fabric", "ENVM MyClient1", "ENVM MyClient2"],
            jdc.Components.Select(c => $"{c.Type} {c.Name}"));
        var components = jdc.Components.ToList();
        Assert.Equal(_security, ReadComponent(jdc, components[0]));
        Assert.Equal(_fabric, ReadComponent(jdc, components[1]));
        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4], ReadComponent(jdc, components[2]));
        Assert.Equal(_envmRaw, ReadComponent(jdc, components[3]));
        Assert.Equal(4096, components[2].Capacity);
        Assert.Equal(8192, components[3].Capacity);
        Assert.Equal(created.DesignDigestHex, jdc.DesignDigestHex);
        Assert.Equal(DesignDigest.Compute(components), jdc.DesignDigestHex);
    }

    [Fact]
    public void Without_a_security_file_a_default_policy_is_the_security_component()
    {
        var jdc = JdcFile.Open(CreateSample(withSecurity: false).Path);

        var security = jdc.Components.First();
        Assert.Equal(ComponentType.SECURITY, security.Type);
        Assert.Contains("security_policy", Encoding.UTF8.GetString(ReadComponent(jdc, security)));
    }

    [Fact]
    public void The_same_parts_give_the_same_digest()
    {
        Assert.Equal(CreateSample("a.jdc").DesignDigestHex, CreateSample("b.jdc").DesignDigestHex);
    }

    [Fact]
    public void Any_modified_payload_byte_is_refused()
    {
        var path = CreateSample().Path;
        var original = File.ReadAllBytes(path);
        var payloadStart = original.Length - (_security.Length + _fabric.Length + 20 + _envmRaw.Length);
        var accepted = new List<int>();

        // Every component: first and last byte of each, and a spread in between.
        var positions = Enumerable.Range(0, 64).Select(k => payloadStart + (int)((long)(original.Length - payloadStart - 1) * k / 63)).Distinct();
        foreach (var at in positions)
        {
            var copy = (byte[])original.Clone();
            copy[at] ^= 0x01;
            File.WriteAllBytes(path, copy);
            try { JdcFile.Open(path); accepted.Add(at); }
            catch (SppsException e) { Assert.Contains(e.Code, new[] { ErrorCodes.JdcInvalid, ErrorCodes.PayloadTampered }); }
        }

        Assert.Empty(accepted);
    }

    [Fact]
    public void A_modified_design_digest_is_refused_at_its_line()
    {
        var path = CreateSample().Path;
        var lines = File.ReadAllLines(path, Encoding.Latin1).ToList(); // header is ASCII; payload bytes kept 1:1
        var at = lines.FindIndex(l => l.Contains("\"design_digest\""));
        var bytes = File.ReadAllBytes(path);
        var offset = Encoding.Latin1.GetString(bytes).IndexOf("\"design_digest\": \"", StringComparison.Ordinal) + "\"design_digest\": \"".Length;
        bytes[offset] = bytes[offset] == (byte)'0' ? (byte)'1' : (byte)'0';
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<SppsException>(() => JdcFile.Open(path));

        Assert.Equal(ErrorCodes.JdcInvalid, e.Code);
        Assert.Equal(at + 1, e.Location?.Line);
    }

    /// <summary>Rewrites the header (keeping the payload) as an editor of the JDC would.</summary>
    private static void EditHeader(string path, Action<JObject> edit)
    {
        var file = SppsFile.Read(path, JdcFile.Kind, signed: false);
        var payload = File.ReadAllBytes(path)[(int)file.PayloadOffset..];
        var header = (JObject)file.Header.DeepClone();
        edit(header);
        SppsFile.Write(path, JdcFile.Kind, header, sign: null, s => s.Write(payload));
    }

    [Fact]
    public void A_modified_component_hash_is_refused()
    {
        var path = CreateSample().Path;
        EditHeader(path, h => h["components"]![1]!["sha256"] = new string('a', 64));

        var e = Assert.Throws<SppsException>(() => JdcFile.Open(path));

        Assert.Equal(ErrorCodes.JdcInvalid, e.Code);
        Assert.Contains("digest", e.Message);
    }

    [Fact]
    public void Swapped_fabric_with_consistent_hashes_but_the_old_payload_is_refused()
    {
        var path = CreateSample().Path;
        var otherFabric = RandomNumberGenerator.GetBytes(_fabric.Length);
        EditHeader(path, h =>
        {
            h["components"]![1]!["sha256"] = Convert.ToHexStringLower(SHA256.HashData(otherFabric));
            var components = h["components"]!.Select(c => new DesignComponent(
                Enum.Parse<ComponentType>((string)c["type"]!), (string)c["name"]!, (long)c["length"]!, (string)c["sha256"]!)).ToList();
            h["design_digest"] = DesignDigest.Compute(components);
        });

        var e = Assert.Throws<SppsException>(() => JdcFile.Open(path));

        Assert.Equal(ErrorCodes.JdcInvalid, e.Code);
        Assert.Contains("FABRIC", e.Message);
    }

    [Theory]
    [InlineData("offset")]
    [InlineData("length")]
    public void Components_must_tile_the_payload(string field)
    {
        var path = CreateSample().Path;
        EditHeader(path, h => h["components"]![1]![field] = (long)h["components"]![1]![field]! + 1);

        var e = Assert.Throws<SppsException>(() => JdcFile.Open(path));

        Assert.Contains(e.Code, new[] { ErrorCodes.InvalidField, ErrorCodes.JdcInvalid });
    }

    [Fact]
    public void Another_kind_of_file_is_not_a_jdc()
    {
        var path = _dir.File("x.jdc");
        SppsFile.Write(path, "job", new JObject { ["version"] = 1 }, sign: null);

        Assert.Equal(ErrorCodes.WrongFileKind, Assert.Throws<SppsException>(() => JdcFile.Open(path)).Code);
    }

    [Fact]
    public void Duplicate_envm_client_names_are_refused()
    {
        var bin = Part("c.bin", [1, 2, 3]);

        var e = Assert.Throws<SppsException>(() =>
            JdcFile.Create(_dir.File("d.jdc"), "d", "M2S090TS", Part("f.bin", _fabric), null, [("C", bin), ("C", bin)]));

        Assert.Equal(ErrorCodes.InvalidOptionValue, e.Code);
        Assert.False(File.Exists(_dir.File("d.jdc")));
    }

    [Fact]
    public void A_missing_fabric_file_is_reported()
    {
        var e = Assert.Throws<SppsException>(() =>
            JdcFile.Create(_dir.File("d.jdc"), "d", "M2S090TS", _dir.File("missing.bin"), null, []));

        Assert.Equal(ErrorCodes.FileNotFound, e.Code);
        Assert.Contains("--fabric", e.Message);
    }

    private static readonly DesignComponent[] Baseline =
    [
        new(ComponentType.SECURITY, "security", 100, new string('1', 64)),
        new(ComponentType.FABRIC, "fabric", 2000, new string('2', 64)),
        new(ComponentType.ENVM, "MyClient1", 4096, new string('3', 64), 4096),
    ];

    [Theory]
    [InlineData(0, "type")]
    [InlineData(0, "name")]
    [InlineData(0, "length")]
    [InlineData(0, "sha256")]
    [InlineData(1, "type")]
    [InlineData(1, "name")]
    [InlineData(1, "length")]
    [InlineData(1, "sha256")]
    [InlineData(2, "type")]
    [InlineData(2, "name")]
    [InlineData(2, "length")]
    [InlineData(2, "sha256")]
    public void Design_digest_changes_when_any_component_changes(int index, string field)
    {
        var changed = Baseline.ToArray();
        var c = changed[index];
        changed[index] = field switch
        {
            "type" => c with { Type = c.Type == ComponentType.ENVM ? ComponentType.FABRIC : ComponentType.ENVM },
            "name" => c with { Name = c.Name + "x" },
            "length" => c with { Length = c.Length + 1 },
            _ => c with { Sha256 = "0" + c.Sha256[1..] },
        };

        Assert.NotEqual(DesignDigest.Compute(Baseline), DesignDigest.Compute(changed));
    }

    [Fact]
    public void Design_digest_depends_on_order_and_on_every_component_being_there()
    {
        var digest = DesignDigest.Compute(Baseline);

        Assert.NotEqual(digest, DesignDigest.Compute([Baseline[1], Baseline[0], Baseline[2]]));
        Assert.NotEqual(digest, DesignDigest.Compute(Baseline[..2]));
        Assert.NotEqual(digest, DesignDigest.Compute([.. Baseline, Baseline[2] with { Name = "MyClient2" }]));
        Assert.Equal(64, digest.Length);
        Assert.Equal(digest, DesignDigest.Compute(Baseline.Select(c => c with { }).ToArray()));
    }

    [Fact]
    public void Design_digest_is_unambiguous_for_long_names()
    {
        // Names are length-prefixed with one byte, so a 257-byte name is prefixed like a 1-byte name.
        // Built here: one eNVM client whose name spells out the encoding of three other clients.
        const long length = 0x2020202020202020;          // 8 ASCII spaces
        var sha = new string('4', 64);                     // 32 ASCII 'D'
        var lengthText = new string(' ', 8);
        var shaText = new string('D', 32);
        var nameZ = new string('z', 100);
        var nameW = new string('w', 64);
        var longName = "y" + lengthText + shaText + "\u0004ENVM" + (char)100 + nameZ + lengthText + shaText + "\u0004ENVM" + (char)64 + nameW;
        Assert.Equal(257, longName.Length);
        DesignComponent[] one = [new(ComponentType.ENVM, longName, length, sha)];
        DesignComponent[] three = [new(ComponentType.ENVM, "y", length, sha), new(ComponentType.ENVM, nameZ, length, sha), new(ComponentType.ENVM, nameW, length, sha)];

        static string? TryCompute(DesignComponent[] components)
        {
            try { return DesignDigest.Compute(components); }
            catch (Exception e) when (e is SppsException or ArgumentException) { return null; } // refusing overlong names is fine too
        }

        var a = TryCompute(one);
        Assert.True(a is null || a != TryCompute(three), "two different designs have the same design digest");
    }

    [Fact]
    public void Design_digest_does_not_confuse_name_boundaries()
    {
        var a = new DesignComponent[] { new(ComponentType.ENVM, "ab", 1, new string('4', 64)), new(ComponentType.ENVM, "c", 1, new string('4', 64)) };
        var b = new DesignComponent[] { new(ComponentType.ENVM, "a", 1, new string('4', 64)), new(ComponentType.ENVM, "bc", 1, new string('4', 64)) };

        Assert.NotEqual(DesignDigest.Compute(a), DesignDigest.Compute(b));
    }

    [Theory]
    [InlineData("M2S090TS", 512 * 1024)]
    [InlineData("M2S010", 256 * 1024)]
    [InlineData("SOMETHING_NEW", 512 * 1024)]
    public void eNVM_clients_fit_in_the_devices_eNVM(string device, int envmBytes)
    {
        var full = Part("full.bin", new byte[envmBytes]);
        JdcFile.Create(_dir.File("full.jdc"), "d", device, Part("f.bin", _fabric), null, [("All", full)]);

        var one = Part("one.bin", [1]);
        var e = Assert.Throws<SppsException>(() =>
            JdcFile.Create(_dir.File("over.jdc"), "d", device, Part("f.bin", _fabric), null, [("All", full), ("More", one)]));

        Assert.Equal(ErrorCodes.InvalidOptionValue, e.Code);
        Assert.Contains(device, e.Message);
        Assert.False(File.Exists(_dir.File("over.jdc")));
    }

    [Fact]
    public void An_Intel_HEX_client_beyond_the_devices_eNVM_is_refused_with_its_line()
    {
        var hex = _dir.File("far.hex");
        File.WriteAllText(hex, ":020000047FFE7D\n:01000000AA55\n:00000001FF\n"); // extended linear address 0x7FFE: 2 GiB up

        var e = Assert.Throws<SppsException>(() =>
            JdcFile.Create(_dir.File("far.jdc"), "d", "M2S090TS", Part("f.bin", _fabric), null, [("Boot", hex)]));

        Assert.Equal(ErrorCodes.IntelHexInvalid, e.Code);
        Assert.Equal(new SourceLocation(hex, 2), e.Location);
        Assert.Contains("eNVM M2S090TS has left for client Boot", e.Message);
        Assert.False(File.Exists(_dir.File("far.jdc")));
    }

    [Fact]
    public void A_JDC_whose_eNVM_clients_claim_more_than_the_device_has_is_refused()
    {
        var path = CreateSample().Path;
        EditHeader(path, h => h["components"]![3]!["capacity"] = 1L << 40); // the designer's file is unsigned: anyone can edit it

        var e = Assert.Throws<SppsException>(() => JdcFile.Open(path));

        Assert.Equal(ErrorCodes.JdcInvalid, e.Code);
        Assert.Contains("eNVM of M2S090TS", e.Message);
    }
}
