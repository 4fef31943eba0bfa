namespace Spps.Contracts.Hsm;

/// <summary>
/// A fresh AES-256 data key for bulk encryption (envelope encryption, as cloud KMS "GenerateDataKey"):
/// the caller gets the plaintext once, uses it for streaming encryption, and must zero it; the HSM
/// keeps only <see cref="Wrapped"/>, which it can unwrap again later.
/// </summary>
public sealed class DataKey : IDisposable
{
    /// <summary>Creates a data key from its two forms.</summary>
    public DataKey(byte[] plaintext, byte[] wrapped)
    {
        Plaintext = plaintext ?? throw new ArgumentNullException(nameof(plaintext));
        Wrapped = wrapped ?? throw new ArgumentNullException(nameof(wrapped));
    }

    /// <summary>The key bytes; zeroed by <see cref="Dispose"/>.</summary>
    public byte[] Plaintext { get; }

    /// <summary>The key wrapped (AES-KWP) under the wrapping key named at generation.</summary>
    public byte[] Wrapped { get; }

    /// <summary>Zeroes the plaintext.</summary>
    public void Dispose() => Array.Clear(Plaintext);
}
