using System.Reflection;

namespace Spps;

/// <summary>What kind of failure a code is; the hosts' exit code follows from it (README, "Exit codes").</summary>
public enum ErrorCategory
{
    /// <summary>A bad or missing input file (exit 1).</summary>
    Input,
    /// <summary>The command line or a script is wrong: unknown command or option, missing option, syntax (exit 2).</summary>
    Usage,
    /// <summary>A step out of order, a missing project or name, settings not made (exit 1).</summary>
    State,
    /// <summary>An HSM refused or failed (exit 1).</summary>
    Hsm,
    /// <summary>Refused for security: signature, binding, replay, overbuild, non-genuine device (exit 4).</summary>
    Security,
    /// <summary>Post-production validation found problems (exit 3).</summary>
    Validation,
    /// <summary>A device, a programmer or the M-HSM service failed or refused (exit 5).</summary>
    Device,
    /// <summary>The operator cancelled (Ctrl-C, SIGTERM) and the work stopped cleanly (exit 130).</summary>
    Cancelled,
    /// <summary>A bug (exit 70).</summary>
    Internal,
}

/// <summary>A stable error code (<c>SPPSnnnn</c>) with its catalogue name and category. Compared by <see cref="Id"/>.</summary>
public sealed class ErrorCode : IEquatable<ErrorCode>
{
    /// <summary>Creates a code; only the catalogue (<see cref="ErrorCodes"/>) does this.</summary>
    internal ErrorCode(string id, string name, ErrorCategory category)
    {
        Id = id;
        Name = name;
        Category = category;
    }

    /// <summary>The stable code, e.g. <c>SPPS4008</c>.</summary>
    public string Id { get; }

    /// <summary>The catalogue name, e.g. <c>Overbuild</c>.</summary>
    public string Name { get; }

    /// <summary>What kind of failure it is.</summary>
    public ErrorCategory Category { get; }

    /// <summary>The code as printed.</summary>
    public override string ToString() => Id;

    /// <summary>Codes print and compare as their <see cref="Id"/>.</summary>
    public static implicit operator string(ErrorCode code) => code.Id;

    /// <inheritdoc />
    public bool Equals(ErrorCode? other) => other is not null && other.Id == Id;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ErrorCode other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Id.GetHashCode(StringComparison.Ordinal);

    /// <summary>Equality by <see cref="Id"/>.</summary>
    public static bool operator ==(ErrorCode? a, ErrorCode? b) => a?.Id == b?.Id;

    /// <summary>Inequality by <see cref="Id"/>.</summary>
    public static bool operator !=(ErrorCode? a, ErrorCode? b) => !(a == b);

    internal static IReadOnlyList<ErrorCode> Collect(Type catalogue) =>
        catalogue.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.FieldType == typeof(ErrorCode)).Select(f => (ErrorCode)f.GetValue(null)!)
            .Concat(catalogue.GetNestedTypes().SelectMany(Collect))
            .OrderBy(c => c.Id, StringComparer.Ordinal)
            .ToList();
}
