using System.Security.Cryptography;
using System.Text;

namespace Spps.Core.Domain;

/// <summary>
/// What a job trusts, fixed by the OE under its signature: the silicon-vendor roots a device certificate
/// must chain to (KFPE) and the signers whose DFK databases count (DFK). Certificates are kept as DER.
/// The M-HSM consults nothing else: not its own trust folder, not whatever the CM adds.
/// </summary>
public sealed class SiliconTrust
{
    public SiliconTrust(IReadOnlyList<byte[]> vendorRoots, IReadOnlyList<byte[]> dfkSigners)
    {
        VendorRoots = vendorRoots.Select(r => r.ToArray()).ToList();
        DfkSigners = dfkSigners.Select(s => s.ToArray()).ToList();
        DfkSignerIds = DfkSigners.Select(SignerId).ToList();
        Digest = Convert.ToHexStringLower(SHA384.HashData(Encoding.ASCII.GetBytes(
            "SPPS silicon trust v1|" + string.Join(',', VendorRoots.Select(Convert.ToBase64String)) + "|" + string.Join(',', DfkSigners.Select(Convert.ToBase64String)))));
    }

    public IReadOnlyList<byte[]> VendorRoots { get; }
    public IReadOnlyList<byte[]> DfkSigners { get; }

    /// <summary>The <see cref="SignerId"/> of each DFK signer, in order.</summary>
    public IReadOnlyList<string> DfkSignerIds { get; }

    /// <summary>SHA-384 over the whole list, hex: what the M-HSM pins in its HSM when it loads the job.</summary>
    public string Digest { get; }

    /// <summary>A DFK signer's short identity: the first 16 bytes of SHA-256 over its certificate, hex.</summary>
    public static string SignerId(byte[] certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate))[..32];
}
