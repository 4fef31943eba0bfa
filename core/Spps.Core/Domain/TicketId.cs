using System.Security.Cryptography;
using Spps.Core.Identifiers;

namespace Spps.Core.Domain;

/// <summary>
/// A ticket's ID, chosen at random by the M-HSM: a hex number compared by value (leading zeros do not
/// matter), kept in normal form (lower case, no leading zeros), which is also how every output shows it.
/// </summary>
public readonly record struct TicketId
{
    private TicketId(string normal) => Value = normal;

    /// <summary>The normal form: what files, the ledger and JSON carry.</summary>
    public string Value { get; }

    public static TicketId New() => new(HsmUuid.NewTicketId());

    public static bool TryParse(string? text, out TicketId id)
    {
        id = HsmUuid.TryNormalize(text, out var normal) ? new TicketId(normal) : default;
        return id.Value is not null;
    }

    public static TicketId Parse(string? text, Func<string, SppsException> invalid) =>
        TryParse(text, out var id) ? id : throw invalid($"a hex ticket ID, not '{text}'");

    /// <summary>How text output shows a ticket ID: the normal form, as in --json and files (one form everywhere).</summary>
    public string Display => HsmUuid.Display(Value);

    public override string ToString() => Value;
}

/// <summary>A device serial number, exactly as the device reports it (ordinal comparison).</summary>
public readonly record struct Dsn
{
    private Dsn(string normal) => Value = normal;

    public string Value { get; }

    public static bool TryParse(string? text, out Dsn dsn)
    {
        dsn = !string.IsNullOrEmpty(text) && text.Length <= 128 && text.All(c => c is > ' ' and < (char)127) ? new Dsn(text) : default;
        return dsn.Value is not null;
    }

    public static Dsn Parse(string? text, Func<string, SppsException> invalid) =>
        TryParse(text, out var dsn) ? dsn : throw invalid($"a device serial number (printable ASCII, no spaces), not '{text}'");

    public override string ToString() => Value;
}
