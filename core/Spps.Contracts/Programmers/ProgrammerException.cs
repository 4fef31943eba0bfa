namespace Spps.Contracts.Programmers;

/// <summary>An expected programmer or device failure, with a code from <see cref="ErrorCodes"/>.</summary>
public sealed class ProgrammerException(ErrorCode code, string message, Exception? inner = null) : SppsException(code, message, null, inner);
