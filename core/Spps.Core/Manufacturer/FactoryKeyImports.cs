using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Core.IO;

namespace Spps.Core.Manufacturer;

/// <summary>A DFK database imported into an M-HSM: its lot and who signed it.</summary>
public sealed record FactoryKeyImport(string Lot, string SignerId, string Subject);

/// <summary>
/// Which signer's DFK database was last imported for each lot, kept beside the ledger. It only words the
/// refusal of a device whose lot came from a signer the job does not name; the lot keys and their signers'
/// identities live in the HSM, and nothing is decided from this file.
/// </summary>
internal static class FactoryKeyImports
{
    public static void Write(string stateDirectory, FactoryKeyImport import)
    {
        Directory.CreateDirectory(Path.Combine(stateDirectory, "dfk"));
        AtomicFile.WriteAllText(PathOf(stateDirectory, import.Lot),
            new JObject { ["lot"] = import.Lot, ["signer_id"] = import.SignerId, ["subject"] = import.Subject }.ToString(Formatting.Indented));
    }

    public static FactoryKeyImport? Read(string stateDirectory, string lot)
    {
        if (lot.Length is 0 or > 64 || !lot.All(char.IsAsciiLetterOrDigit)) return null;
        try
        {
            var o = JObject.Parse(File.ReadAllText(PathOf(stateDirectory, lot)));
            return new FactoryKeyImport(lot, (string?)o["signer_id"] ?? "", (string?)o["subject"] ?? "");
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidCastException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string PathOf(string stateDirectory, string lot) => Path.Combine(stateDirectory, "dfk", lot + ".json");
}
