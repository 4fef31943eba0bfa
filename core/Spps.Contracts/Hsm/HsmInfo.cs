namespace Spps.Contracts.Hsm;

/// <summary>Describes an opened HSM.</summary>
/// <param name="Uuid">The HSM's UUID as lower-case hex without leading zeros (UUIDs compare as hex numbers).</param>
/// <param name="Name">Human-readable name (instance name, token label).</param>
/// <param name="Kind">Provider name, e.g. <c>software</c> or <c>pkcs11</c>.</param>
/// <param name="IsDevelopmentOnly">True for HSMs whose keys live in host memory (the software HSM).</param>
public sealed record HsmInfo(string Uuid, string Name, string Kind, bool IsDevelopmentOnly);
