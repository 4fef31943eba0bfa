namespace Spps.Core.Domain;

/// <summary>
/// A closed set of named values that carry their own rules (<see cref="ProgrammingAction"/>, <see cref="KeyMode"/>):
/// compared by name, parsed case-insensitively from the set's <c>All</c> list.
/// </summary>
public abstract class ClosedSet<T> : IEquatable<T> where T : ClosedSet<T>
{
    protected ClosedSet(string name) => Name = name;

    /// <summary>The name scripts, files and the ledger use.</summary>
    public string Name { get; }

    protected static bool TryParse(IReadOnlyList<T> all, string? text, out T value)
    {
        value = all.FirstOrDefault(v => string.Equals(v.Name, text?.Trim(), StringComparison.OrdinalIgnoreCase))!;
        return value is not null;
    }

    public override string ToString() => Name;
    public bool Equals(T? other) => other is not null && other.Name == Name;
    public override bool Equals(object? obj) => obj is T other && Equals(other);
    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);
    public static bool operator ==(ClosedSet<T>? a, ClosedSet<T>? b) => a?.Name == b?.Name;
    public static bool operator !=(ClosedSet<T>? a, ClosedSet<T>? b) => !(a == b);
}
