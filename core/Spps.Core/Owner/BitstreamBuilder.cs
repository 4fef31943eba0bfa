using System.Security.Cryptography;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Contracts.Hsm;
using Spps.Core.Crypto;
using Spps.Core.Formats;
using Spps.Core.IO;
using Spps.Core.Site;

namespace Spps.Core.Owner;

/// <summary>What init_bitstream was asked for.</summary>
public sealed record BitstreamRequest(string DataName, string Name, string Type, IReadOnlyList<ComponentType> Features, string Protocol, string KeyMode, bool GenerateCoc, IReadOnlyList<string>? EnvmClients);

/// <summary>
/// Builds a master bitstream: the selected components (the SECURITY component carrying the keyset's user
/// keys wrapped under KIP inside the U-HSM), encrypted under a fresh KIP with <see cref="SegmentedAead"/>.
/// Streams from the JDC to the ciphertext file, so memory does not grow with the bitstream; each
/// component's SHA-256 is checked as it streams, and a mismatch leaves no output.
/// </summary>
public static class BitstreamBuilder
{
    private sealed record Part(DesignComponent Component, Func<Stream> Open);

    public static BitstreamEntry Build(OwnerProject project, BitstreamRequest request, RoleKeys uhsm, Action<string> progress, Action<WorkProgress>? work = null)
    {
        var data = project.Data(request.DataName);
        var jdc = JdcFile.Open(project.Absolute(data.JdcFile), verifyPayload: false);
        var master = uhsm.RequireMaster();
        using var kip = uhsm.Hsm.GenerateDataKey(master);
        var parts = new List<Part>();

        if (request.Features.Contains(ComponentType.SECURITY))
        {
            var policy = jdc.Components.FirstOrDefault(c => c.Type == ComponentType.SECURITY);
            var security = SecurityComponent(project, data, jdc, policy, kip, uhsm);
            parts.Add(new Part(new DesignComponent(ComponentType.SECURITY, "security", security.Length, Convert.ToHexStringLower(SHA256.HashData(security))), () => new MemoryStream(security)));
        }
        if (request.Features.Contains(ComponentType.FABRIC))
        {
            var fabric = jdc.Components.FirstOrDefault(c => c.Type == ComponentType.FABRIC)
                ?? throw new SppsException(ErrorCodes.InvalidOptionValue, $"-features FABRIC: design {jdc.Design} has no FABRIC component.");
            parts.Add(new Part(fabric, () => jdc.OpenComponent(fabric)));
        }
        if (request.Features.Contains(ComponentType.ENVM))
        {
            var clients = jdc.Components.Where(c => c.Type == ComponentType.ENVM).ToList();
            if (clients.Count == 0) throw new SppsException(ErrorCodes.InvalidOptionValue, $"-features ENVM: design {jdc.Design} has no eNVM clients.");
            if (request.EnvmClients is { Count: > 0 } wanted)
            {
                var unknown = wanted.Where(w => clients.All(c => c.Name != w)).ToList();
                if (unknown.Count > 0) throw new SppsException(ErrorCodes.NameNotFound, $"-envm_clients: no eNVM client {string.Join(", ", unknown)} in design {jdc.Design} (have: {string.Join(", ", clients.Select(c => c.Name))}).");
                clients = clients.Where(c => wanted.Contains(c.Name)).ToList();
            }
            foreach (var client in clients)
            {
                var update = data.EnvmUpdates.FirstOrDefault(u => u.Client == client.Name);
                parts.Add(update is null
                    ? new Part(client, () => jdc.OpenComponent(client))
                    : new Part(client with { Length = update.Length, Sha256 = update.Sha256 }, () => File.OpenRead(project.Absolute(update.File))));
            }
        }

        var components = parts.Select(p => p.Component).ToList();
        var plaintextLength = components.Sum(c => c.Length);
        var noncePrefix = RandomNumberGenerator.GetBytes(SegmentedAead.NoncePrefixSize);
        var segmentSize = SegmentedAead.DefaultSegmentSize;
        var header = new JObject
        {
            ["format"] = "spps-bitstream",
            ["version"] = 1,
            ["name"] = request.Name,
            ["design"] = jdc.Design,
            ["device"] = jdc.Device,
            ["type"] = request.Type,
            ["features"] = new JArray(request.Features.Select(f => f.ToString())),
            ["protocol"] = request.Protocol,
            ["key_mode"] = request.KeyMode,
            ["generate_coc"] = request.GenerateCoc,
            ["design_digest"] = DesignDigest.Compute(components),
            ["components"] = new JArray(components.Select(c => new JObject { ["type"] = c.Type.ToString(), ["name"] = c.Name, ["length"] = c.Length, ["sha256"] = c.Sha256 })),
            ["segment_size"] = segmentSize,
            ["nonce_prefix"] = Convert.ToHexStringLower(noncePrefix),
            ["plaintext_length"] = plaintextLength,
        };
        var headerJson = header.ToString(Formatting.None);
        var aad = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(headerJson));
        var relative = Path.Combine("bitstreams", $"{request.DataName}.{request.Name}.ct");
        string sha256 = "";
        var step = Math.Max(plaintextLength / 4, 1);
        var nextReport = step;
        AtomicFile.Write(project.Absolute(relative), output =>
        {
            using var hashing = new HashingWriteStream(output);
            var verified = new VerifiedConcatStream(parts.Select(p => (p.Component, p.Open)).ToList());
            using var plaintext = new ReadAheadStream(verified);
            SegmentedAead.Encrypt(plaintext, plaintextLength, hashing, kip.Plaintext, noncePrefix, aad, segmentSize, done =>
            {
                if (work is not null) { work(new WorkProgress($"init_bitstream {request.Name}", done, plaintextLength, WorkProgress.Bytes)); return; }
                if (plaintextLength < 16 << 20 || done < nextReport) return;
                progress($"init_bitstream {request.Name}: encrypted {done >> 20} of {plaintextLength >> 20} MiB ({100 * done / plaintextLength}%)");
                nextReport += step;
            });
            if (plaintext.Read(new byte[1]) != 0) throw new SppsException(ErrorCodes.JdcInvalid, "The components are longer than imported.");
            verified.VerifyEnd();
            sha256 = hashing.Finish();
        });
        return new BitstreamEntry
        {
            DataName = request.DataName,
            Name = request.Name,
            Type = request.Type,
            Features = request.Features.Select(f => f.ToString()).ToList(),
            Protocol = request.Protocol,
            KeyMode = request.KeyMode,
            GenerateCoc = request.GenerateCoc,
            Design = jdc.Design,
            DesignDigest = (string)header["design_digest"]!,
            HeaderJson = headerJson,
            CiphertextFile = relative,
            PlaintextLength = plaintextLength,
            CiphertextLength = SegmentedAead.CiphertextLength(plaintextLength, segmentSize),
            CiphertextSha256 = sha256,
            SegmentSize = segmentSize,
            WrappedKip = Convert.ToBase64String(kip.Wrapped),
        };
    }

    /// <summary>The SECURITY component: the design's security policy and every keyset key, wrapped under KIP inside the U-HSM.</summary>
    private static byte[] SecurityComponent(OwnerProject project, ProgData data, JdcFile jdc, DesignComponent? policy, DataKey kip, RoleKeys uhsm)
    {
        var keyset = Keyset.Open(project.Absolute(data.KeysetFile), uhsm);
        var hsm = uhsm.Hsm;
        var kipHandle = hsm.Unwrap(uhsm.RequireMaster(), kip.Wrapped, new KeySpec("session/kip", KeyKind.Aes256, KeyUsage.Wrap, Persistent: false));
        var keys = new JObject();
        try
        {
            foreach (var (name, wrapped) in keyset.WrappedKeys)
            {
                var key = hsm.Unwrap(uhsm.RequireMaster(), wrapped, new KeySpec($"session/{name}", KeyKind.Aes256, KeyUsage.None, Persistent: false, Wrappable: true));
                keys[name] = Convert.ToBase64String(hsm.Wrap(kipHandle, key));
                hsm.Destroy(key);
            }
        }
        finally
        {
            hsm.Destroy(kipHandle);
        }
        byte[] policyBytes = [];
        if (policy is not null)
        {
            using var stream = jdc.OpenComponent(policy);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            policyBytes = copy.ToArray();
        }
        var content = new JObject
        {
            ["policy"] = Convert.ToBase64String(policyBytes),
            ["user_keys_wrapping"] = "AES-256-KWP under KIP",
            ["user_keys"] = keys,
        };
        return System.Text.Encoding.UTF8.GetBytes(content.ToString(Formatting.None));
    }
}
