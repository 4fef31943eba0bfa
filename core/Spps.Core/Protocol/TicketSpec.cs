namespace Spps.Core.Protocol;

/// <summary>Programming actions a ticket can authorize.</summary>
public static class Actions
{
    public const string Program = "PROGRAM";
    public const string Verify = "VERIFY";
    public const string Erase = "ERASE";
    public static readonly string[] All = [Program, Verify, Erase];
}

/// <summary>A ticket as the OE asks for it: one action on one device of the chain, up to MaxDevice devices (-1 = unlimited).</summary>
public sealed record TicketSpec(string Name, string Device, string Action, long MaxDevice)
{
    public string MaxText => MaxDevice < 0 ? "unlimited" : MaxDevice.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
