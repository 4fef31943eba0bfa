using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Core.Domain;
using Spps.Device.Reference;

namespace Spps.Core.Protocol;

/// <summary>
/// A silicon vendor's DFK database for one M-HSM (docs/formats.md): the lot key wrapped to the M-HSM's
/// transport key, signed by the vendor's DFK signer, whose certificate it carries. Parsing checks the
/// signature; whether the signer counts is each job's choice (<see cref="SiliconTrust"/>).
/// </summary>
public sealed record FactoryKeyDatabase(string Lot, string MHsmUuid, byte[] Ephemeral, byte[] Wrapped, string SignerId, string SignerSubject)
{
    public const int Version = 2;

    public static FactoryKeyDatabase Parse(string json, string path)
    {
        JObject db;
        try
        {
            using var reader = new JsonTextReader(new StringReader(json)) { DateParseHandling = DateParseHandling.None };
            db = JObject.Load(reader, new JsonLoadSettings { LineInfoHandling = LineInfoHandling.Load });
        }
        catch (JsonReaderException ex)
        {
            throw new SppsException(ErrorCodes.MalformedHeader, $"The DFK database is not valid JSON: {ex.Message}", new SourceLocation(path, ex.LineNumber, ex.LinePosition));
        }
        if ((string?)db["format"] != "spps-dfk-db" || db["version"] is not JValue { Type: JTokenType.Integer } version || (long)version != Version || db["signature"] is null)
            throw new SppsException(ErrorCodes.UntrustedSigner, $"This is not a signed DFK database (format spps-dfk-db, version {Version}): an unsigned database could come from anyone. Ask the silicon vendor for a signed one.", new SourceLocation(path));
        var lot = Text(db, "lot", path);
        if (lot.Length is 0 or > 64 || !lot.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'z'))
            throw Invalid(db, "lot", "1 to 64 lower-case letters or digits", path);
        var mhsm = Text(db, "m_hsm", path);
        var ephemeral = Text(db, "ephemeral", path);
        var wrapped = Text(db, "wrapped", path);
        var signerDer = Bytes(db, "signer", path);
        var signature = Bytes(db, "signature", path);
        X509Certificate2 signer;
        try { signer = X509CertificateLoader.LoadCertificate(signerDer); }
        catch (CryptographicException) { throw Invalid(db, "signer", "an X.509 certificate (base64 DER)", path); }
        using (signer)
        {
            using var key = signer.GetECDsaPublicKey()
                ?? throw new SppsException(ErrorCodes.UntrustedSigner, "The DFK database's signer has no ECDSA key: it cannot have signed it.", new SourceLocation(path));
            if (!key.VerifyData(ProtocolLabels.FactoryKeyDatabaseMessage(lot, mhsm, ephemeral, wrapped), signature, HashAlgorithmName.SHA384))
                throw new SppsException(ErrorCodes.UntrustedSigner, $"The DFK database's signature does not verify with the certificate of its signer '{signer.Subject}': it was altered or forged. Get it again from the silicon vendor.", new SourceLocation(path));
            return new FactoryKeyDatabase(lot, mhsm, Bytes(db, "ephemeral", path), Bytes(db, "wrapped", path), SiliconTrust.SignerId(signerDer), signer.Subject);
        }
    }

    private static string Text(JObject db, string name, string path) =>
        db[name] is JValue { Type: JTokenType.String, Value: string s } ? s
            : db[name] is null ? throw new SppsException(ErrorCodes.MissingField, $"The DFK database has no '{name}'.", new SourceLocation(path))
            : throw Invalid(db, name, "a string", path);

    private static byte[] Bytes(JObject db, string name, string path)
    {
        try { return Convert.FromBase64String(Text(db, name, path)); }
        catch (FormatException) { throw Invalid(db, name, "base64 data", path); }
    }

    private static SppsException Invalid(JObject db, string name, string expected, string path)
    {
        var info = (IJsonLineInfo?)db[name];
        return new SppsException(ErrorCodes.InvalidField, $"The DFK database's '{name}' must be {expected}.",
            info is not null && info.HasLineInfo() ? new SourceLocation(path, info.LineNumber, info.LinePosition) : new SourceLocation(path));
    }
}
