using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Spps.Contracts.Hsm;

namespace Spps.Hsm.Software;

/// <summary>
/// On-disk layout of one software HSM instance:
/// <code>
/// SPPS_HOME/hsm/NAME/hsm.json         uuid, store-key protection (random key file or passphrase)
/// SPPS_HOME/hsm/NAME/store.key        random 32-byte store key, mode 0600 (only without a passphrase)
/// SPPS_HOME/hsm/NAME/keys/HASH.key    one persistent key, AES-256-GCM under the store key
/// </code>
/// Each key file is written to a temp file and renamed, so several processes can share an instance.
/// </summary>
internal sealed partial class SoftwareHsmStore
{
    private const string PassphraseVariable = "SPPS_HSM_PASSPHRASE";
    private const string PassphraseFileVariable = "SPPS_HSM_PASSPHRASE_FILE";
    private const int Pbkdf2Iterations = 310_000;

    private readonly byte[] _storeKey;

    private SoftwareHsmStore(string directory, string name, string uuid, byte[] storeKey, bool passphraseProtected)
    {
        Directory = directory;
        Name = name;
        Uuid = uuid;
        _storeKey = storeKey;
        PassphraseProtected = passphraseProtected;
    }

    public string Directory { get; }
    public string Name { get; }
    public string Uuid { get; }
    public bool PassphraseProtected { get; }
    private string KeysDirectory => Path.Combine(Directory, "keys");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex InstanceName();

    public static bool IsValidInstanceName(string name) => InstanceName().IsMatch(name);

    public static SoftwareHsmStore Open(HsmOpenOptions options)
    {
        if (!IsValidInstanceName(options.Locator))
            throw new HsmException(ErrorCodes.SoftwareHsm.NameInvalid, $"'{options.Locator}' is not a valid software HSM name: use letters, digits, '_', '.' or '-'.");

        var directory = Path.Combine(options.SppsHome, "hsm", options.Locator);
        var descriptor = Path.Combine(directory, "hsm.json");
        var passphrase = ReadPassphrase(options.Environment);

        if (!File.Exists(descriptor))
        {
            if (!options.CreateIfMissing)
                throw new HsmException(ErrorCodes.SoftwareHsm.NotFound, $"No software HSM named '{options.Locator}' under {options.SppsHome}. Run set_hsm_params with its name and UUID to create it.");
            return Create(directory, options, passphrase);
        }

        JsonNode? json;
        try { json = JsonNode.Parse(File.ReadAllText(descriptor)); }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw new HsmException(ErrorCodes.SoftwareHsm.DescriptorUnreadable, $"{descriptor}: the software HSM descriptor is unreadable ({e.Message}).");
        }
        var uuid = json?["uuid"]?.GetValue<string>() ?? throw new HsmException(ErrorCodes.SoftwareHsm.DescriptorUnreadable, $"{descriptor}: no 'uuid'.");
        if (options.Uuid is not null && !SameUuid(options.Uuid, uuid))
            throw new HsmException(ErrorCodes.SoftwareHsm.UuidMismatch, $"Software HSM '{options.Locator}' has UUID {uuid}, not {Normalize(options.Uuid)}. Use another -hsm_server_name, or the UUID it was created with.");

        var protection = json?["protection"]?.GetValue<string>();
        byte[] storeKey;
        if (protection == "passphrase")
        {
            if (passphrase is null)
                throw new HsmException(ErrorCodes.SoftwareHsm.PassphraseMissing, $"Software HSM '{options.Locator}' is protected by a passphrase: set {PassphraseVariable} or {PassphraseFileVariable}.");
            var salt = Convert.FromBase64String(json!["salt"]!.GetValue<string>());
            storeKey = Rfc2898DeriveBytes.Pbkdf2(passphrase, salt, Pbkdf2Iterations, HashAlgorithmName.SHA256, 32);
            var check = Convert.FromBase64String(json["check"]!.GetValue<string>());
            if (!CryptographicOperations.FixedTimeEquals(check, KeyCheckValue(storeKey)))
                throw new HsmException(ErrorCodes.SoftwareHsm.PassphraseWrong, $"Wrong passphrase for software HSM '{options.Locator}' (from {PassphraseVariable}/{PassphraseFileVariable}).");
        }
        else
        {
            storeKey = File.ReadAllBytes(Path.Combine(directory, "store.key"));
        }
        return new SoftwareHsmStore(directory, options.Locator, uuid, storeKey, protection == "passphrase");
    }

    private static SoftwareHsmStore Create(string directory, HsmOpenOptions options, string? passphrase)
    {
        var uuid = Normalize(options.Uuid ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "keys"));
        var descriptor = new JsonObject
        {
            ["format"] = "spps-software-hsm",
            ["version"] = 1,
            ["uuid"] = uuid,
            ["name"] = options.Locator,
            ["created"] = DateTimeOffset.UtcNow.ToString("O"),
        };
        byte[] storeKey;
        if (passphrase is not null)
        {
            var salt = RandomNumberGenerator.GetBytes(16);
            storeKey = Rfc2898DeriveBytes.Pbkdf2(passphrase, salt, Pbkdf2Iterations, HashAlgorithmName.SHA256, 32);
            descriptor["protection"] = "passphrase";
            descriptor["kdf"] = $"PBKDF2-HMAC-SHA256/{Pbkdf2Iterations}";
            descriptor["salt"] = Convert.ToBase64String(salt);
            descriptor["check"] = Convert.ToBase64String(KeyCheckValue(storeKey));
        }
        else
        {
            storeKey = RandomNumberGenerator.GetBytes(32);
            descriptor["protection"] = "key-file";
            WriteAtomically(Path.Combine(directory, "store.key"), storeKey);
        }
        WriteAtomically(Path.Combine(directory, "hsm.json"), Encoding.UTF8.GetBytes(descriptor.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
        options.Notice($"Created software HSM '{options.Locator}' (UUID {uuid}) under {directory}. " +
                       "This is a software HSM for development: its keys are in host memory while in use. Use a PKCS#11 HSM in production.");
        return new SoftwareHsmStore(directory, options.Locator, uuid, storeKey, passphrase is not null);
    }

    private static string? ReadPassphrase(Func<string, string?> environment)
    {
        var value = environment(PassphraseVariable);
        if (!string.IsNullOrEmpty(value)) return value;
        var file = environment(PassphraseFileVariable);
        if (string.IsNullOrEmpty(file)) return null;
        try { return File.ReadAllText(file).TrimEnd('\r', '\n'); }
        catch (IOException e) { throw new HsmException(ErrorCodes.SoftwareHsm.PassphraseFileUnreadable, $"Cannot read {PassphraseFileVariable} file {file}: {e.Message}"); }
    }

    private static byte[] KeyCheckValue(byte[] key) => HMACSHA256.HashData(key, "spps software hsm store check"u8)[..16];

    public static string Normalize(string uuid)
    {
        var trimmed = uuid.Trim().TrimStart('0').ToLowerInvariant();
        return trimmed.Length == 0 ? "0" : trimmed;
    }

    private static bool SameUuid(string a, string b) => Normalize(a) == Normalize(b);

    private string KeyPath(string label) =>
        Path.Combine(KeysDirectory, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(label)))[..32].ToLowerInvariant() + ".key");

    public void Save(KeySpec spec, ReadOnlySpan<byte> material)
    {
        var path = KeyPath(spec.Label);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var ciphertext = new byte[material.Length];
        var tag = new byte[16];
        using (var gcm = new AesGcm(_storeKey, 16))
            gcm.Encrypt(nonce, material, ciphertext, tag, Aad(spec));
        var json = new JsonObject
        {
            ["label"] = spec.Label,
            ["kind"] = spec.Kind.ToString(),
            ["usage"] = (int)spec.Usage,
            ["wrappable"] = spec.Wrappable,
            ["nonce"] = Convert.ToBase64String(nonce),
            ["ciphertext"] = Convert.ToBase64String(ciphertext),
            ["tag"] = Convert.ToBase64String(tag),
        };
        if (File.Exists(path))
            throw new HsmException(ErrorCodes.SoftwareHsm.LabelExists, $"A key labelled '{spec.Label}' already exists in software HSM '{Name}'.");
        WriteAtomically(path, Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    public (KeySpec Spec, byte[] Material)? Load(string label)
    {
        var path = KeyPath(label);
        string text;
        try { text = File.ReadAllText(path); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        try
        {
            var json = JsonNode.Parse(text)!;
            var spec = new KeySpec(
                json["label"]!.GetValue<string>(),
                Enum.Parse<KeyKind>(json["kind"]!.GetValue<string>()),
                (KeyUsage)json["usage"]!.GetValue<int>(),
                Persistent: true,
                json["wrappable"]!.GetValue<bool>());
            var ciphertext = Convert.FromBase64String(json["ciphertext"]!.GetValue<string>());
            var material = new byte[ciphertext.Length];
            using var gcm = new AesGcm(_storeKey, 16);
            gcm.Decrypt(Convert.FromBase64String(json["nonce"]!.GetValue<string>()), ciphertext,
                Convert.FromBase64String(json["tag"]!.GetValue<string>()), material, Aad(spec));
            return (spec, material);
        }
        catch (Exception e) when (e is JsonException or FormatException or CryptographicException or NullReferenceException or InvalidOperationException or ArgumentException)
        {
            throw new HsmException(ErrorCodes.SoftwareHsm.KeyCorrupt, $"Key '{label}' in software HSM '{Name}' is corrupt or was modified ({path}).");
        }
    }

    public bool Exists(string label) => File.Exists(KeyPath(label));

    public void Delete(string label)
    {
        var path = KeyPath(label);
        if (!File.Exists(path)) return;
        // Overwrite before unlinking so the wrapped bytes do not linger in the file's blocks.
        var length = new FileInfo(path).Length;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.Write(new byte[length]);
            stream.Flush(flushToDisk: true);
        }
        File.Delete(path);
    }

    private static byte[] Aad(KeySpec spec) =>
        Encoding.UTF8.GetBytes($"spps-software-hsm-key|{spec.Label}|{spec.Kind}|{(int)spec.Usage}|{spec.Wrappable}");

    private static void WriteAtomically(string path, ReadOnlySpan<byte> content)
    {
        var temp = path + "." + Environment.ProcessId + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, fileOptions))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
