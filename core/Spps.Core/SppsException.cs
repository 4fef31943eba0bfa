namespace Spps.Core;

/// <summary>Where in an input file something went wrong (1-based line and column; 0 when unknown).</summary>
public readonly record struct SourceLocation(string File, int Line = 0, int Column = 0)
{
    public override string ToString() =>
        Line <= 0 ? File : Column <= 0 ? $"{File}:{Line}" : $"{File}:{Line}:{Column}";
}

/// <summary>
/// An error a user can meet: a stable code from <see cref="ErrorCodes"/>, a message that says what to do,
/// and where the bad input is. The hosts print it as <c>file:line: error SPPSnnnn: message</c>, never a stack trace.
/// </summary>
public sealed class SppsException : Exception
{
    public SppsException(string code, string message, SourceLocation? location = null, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        Location = location;
    }

    public string Code { get; }
    public SourceLocation? Location { get; }

    public override string ToString() =>
        (Location is { } l ? l + ": " : "") + $"error {Code}: {Message}";
}
