namespace Spps.Contracts.Programmers;

/// <summary>An expected programmer failure; <see cref="Code"/> is a stable <c>SPPSnnnn</c> code.</summary>
public sealed class ProgrammerException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ProgrammerException(string code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    /// <summary>Stable error code.</summary>
    public string Code { get; }
}
