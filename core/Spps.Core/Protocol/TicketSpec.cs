using Spps.Core.Domain;

namespace Spps.Core.Protocol;

/// <summary>A ticket as the OE asks for it: one action on one device of the chain, up to MaxDevice devices (-1 = unlimited).</summary>
public sealed record TicketSpec(string Name, string Device, ProgrammingAction Action, long MaxDevice)
{
    public string MaxText => MaxDevice < 0 ? "unlimited" : MaxDevice.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
