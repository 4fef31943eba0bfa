namespace Spps.Contracts.Hsm;

/// <summary>What the host knows when it opens an HSM.</summary>
/// <param name="Locator">Instance name (software HSM) or RFC 7512 <c>pkcs11:</c> URI.</param>
/// <param name="Uuid">UUID to give a newly created HSM, as a hex string; null keeps the existing one.</param>
/// <param name="SppsHome">Root folder for this site's state (<c>SPPS_HOME</c>).</param>
/// <param name="CreateIfMissing">Create the HSM instance (and its store) if it does not exist yet.</param>
/// <param name="Environment">Reads an environment variable; secrets (PINs, passphrases) come only from here or from files.</param>
/// <param name="Notice">Receives one-line notices for the operator (never secrets).</param>
public sealed record HsmOpenOptions(
    string Locator,
    string? Uuid,
    string SppsHome,
    bool CreateIfMissing,
    Func<string, string?> Environment,
    Action<string> Notice);
