namespace Spps;

/// <summary>Where in an input file something went wrong (1-based line and column; 0 when unknown).</summary>
public readonly record struct SourceLocation(string File, int Line = 0, int Column = 0)
{
    /// <summary><c>file</c>, <c>file:line</c> or <c>file:line:column</c>.</summary>
    public override string ToString() =>
        Line <= 0 ? File : Column <= 0 ? $"{File}:{Line}" : $"{File}:{Line}:{Column}";
}

/// <summary>
/// An error a user can meet: a stable code from <see cref="ErrorCodes"/>, a message that says what to do
/// (never key bytes), and where the bad input is. Hosts print it as <c>file:line: error SPPSnnnn: message</c>,
/// never a stack trace. Plugins raise the subclasses <c>HsmException</c> and <c>ProgrammerException</c>.
/// </summary>
public class SppsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SppsException(ErrorCode code, string message, SourceLocation? location = null, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        Location = location;
    }

    /// <summary>The stable code; its category decides the exit code.</summary>
    public ErrorCode Code { get; }

    /// <summary>The input that caused it, when known.</summary>
    public SourceLocation? Location { get; }

    /// <summary>The same error, placed at <paramref name="location"/> when it has no location of its own.</summary>
    public SppsException At(SourceLocation? location) =>
        Location is not null || location is null ? this : new SppsException(Code, Message, location, this);

    /// <summary>The line a host prints.</summary>
    public override string ToString() =>
        (Location is { } l ? l + ": " : "") + $"error {Code}: {Message}";
}
