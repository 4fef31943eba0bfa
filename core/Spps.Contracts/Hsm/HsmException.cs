namespace Spps.Contracts.Hsm;

/// <summary>
/// An expected HSM failure (wrong PIN, missing token, unsupported mechanism, bad wrapped key ...), with a
/// code from <see cref="ErrorCodes"/>; the message says what to do and never holds key bytes.
/// </summary>
public sealed class HsmException(ErrorCode code, string message, Exception? inner = null) : SppsException(code, message, null, inner);
