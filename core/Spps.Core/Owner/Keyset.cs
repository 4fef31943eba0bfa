using Newtonsoft.Json.Linq;
using Spps.Contracts.Hsm;
using Spps.Core.Crypto;
using Spps.Core.Formats;
using Spps.Core.Site;

namespace Spps.Core.Owner;

/// <summary>
/// A keyset file: the user keys (UEK1-3 encryption keys, UPK1-2 pass keys, DPK debug pass key), each
/// generated inside the U-HSM and stored only wrapped (AES-KWP) under the U-HSM master key; signed by the U-HSM.
/// </summary>
public sealed class Keyset
{
    public const string Kind = "keyset";
    public const int Version = 1;
    public static readonly string[] KeyNames = ["UEK1", "UEK2", "UEK3", "UPK1", "UPK2", "DPK"];

    private Keyset(string path, string uhsmUuid, string masterLabel, IReadOnlyDictionary<string, byte[]> wrapped)
    {
        Path = path;
        UHsmUuid = uhsmUuid;
        MasterLabel = masterLabel;
        WrappedKeys = wrapped;
    }

    public string Path { get; }
    public string UHsmUuid { get; }
    public string MasterLabel { get; }
    public IReadOnlyDictionary<string, byte[]> WrappedKeys { get; }

    public static Keyset Create(string path, RoleKeys uhsm)
    {
        var master = uhsm.RequireMaster();
        var keys = new JObject();
        foreach (var name in KeyNames)
        {
            var key = uhsm.Hsm.Generate(new KeySpec($"keyset/{name}", KeyKind.Aes256, KeyUsage.None, Persistent: false, Wrappable: true));
            keys[name] = Convert.ToBase64String(uhsm.Hsm.Wrap(master, key));
            uhsm.Hsm.Destroy(key);
        }
        var header = new JObject
        {
            ["version"] = Version,
            ["u_hsm_uuid"] = uhsm.Hsm.Info.Uuid,
            ["master_key"] = master.Label,
            ["wrapping"] = "AES-256-KWP (RFC 5649) under the U-HSM master key",
            ["keys"] = keys,
            ["created"] = DateTimeOffset.UtcNow.ToString("O"),
        };
        SppsFile.Write(path, Kind, header, uhsm.Sign);
        return Open(path, uhsm);
    }

    public static Keyset Open(string path, RoleKeys uhsm)
    {
        var file = SppsFile.Read(path, Kind, signed: true);
        HeaderFields.ExpectVersion(file, Version);
        PublicKeys.VerifyFile(file, uhsm.IdentityPublicKey, "U-HSM of this site");
        var keys = HeaderFields.Object(file, file.Header, "keys");
        var wrapped = KeyNames.ToDictionary(n => n, n => HeaderFields.Base64(file, keys, n));
        var master = HeaderFields.String(file, file.Header, "master_key");
        if (master != uhsm.RequireMaster().Label)
            throw new SppsException(ErrorCodes.WrongHsm, $"This keyset is wrapped under master key '{master}', but this site's U-HSM master key is '{uhsm.RequireMaster().Label}'. Check -u_master_hsm_uuid in set_hsm_params.", file.Where(file.Header["master_key"]));
        return new Keyset(path, HeaderFields.String(file, file.Header, "u_hsm_uuid"), master, wrapped);
    }
}
