namespace Spps.Contracts.Hsm;

/// <summary>
/// An expected HSM failure (wrong PIN, missing token, unsupported mechanism, bad wrapped key ...).
/// <see cref="Code"/> is a stable <c>SPPSnnnn</c> code; the message says what to do and never holds key bytes.
/// </summary>
public sealed class HsmException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HsmException(string code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    /// <summary>Stable error code, e.g. <c>SPPS3001</c>.</summary>
    public string Code { get; }
}
