using Spps.Core.Domain;

namespace Spps.Core.Manufacturer.Policy;

/// <summary>
/// What happened to a ticket, as the M-HSM's ledger records it: reserved by a reply, loaded from a job,
/// a code issued for a device, ended. The ticket policy is a pure function of these events.
/// </summary>
public abstract record LedgerEvent(TicketId Ticket)
{
    /// <summary>The record type the ledger file uses.</summary>
    public abstract string Type { get; }
}

/// <summary>
/// The M-HSM answered a request and reserved this ticket ID for one of its tickets. <paramref name="Station"/>, here
/// and in the other events, is the station the M-HSM service authenticated, or null when the work ran in process.
/// </summary>
public sealed record TicketReserved(
    TicketId Ticket, string Name, string Device, ProgrammingAction Action, long MaxDevice,
    string Job, string HsmTask, string RequestDigest, string UHsmKey, string? Station = null) : LedgerEvent(Ticket)
{
    public const string TypeName = "reserve";
    public override string Type => TypeName;
}

/// <summary>A job holding the ticket was loaded: its keys are in the M-HSM, codes may be issued.</summary>
public sealed record TicketLoaded(
    TicketId Ticket, string Job, string JobDigest, string Name, string Device, ProgrammingAction Action, long MaxDevice,
    KeyMode KeyMode, string Bitstream, string Project, SiliconTrust? Trust = null, string? Station = null) : LedgerEvent(Ticket)
{
    public const string TypeName = "load";
    public override string Type => TypeName;
}

/// <summary>
/// A device was counted against the ticket (the N-th distinct device). <paramref name="Station"/> is the station
/// the M-HSM service authenticated (its certificate's name), or null when the station issued in process.
/// </summary>
public sealed record CodeIssued(TicketId Ticket, Dsn Dsn, long N, string? Station = null) : LedgerEvent(Ticket)
{
    public const string TypeName = "issue";
    public override string Type => TypeName;
}

/// <summary>How a ticket ended: all its codes used, or stopped early by -terminate.</summary>
public enum TicketEndMode { Ended, Terminated }

/// <summary>The ticket ended with this count and chain head; its keys are destroyed next.</summary>
public sealed record TicketEnded(TicketId Ticket, long Count, string ChainHead, TicketEndMode Mode, string? Station = null) : LedgerEvent(Ticket)
{
    public const string TypeName = "end";
    public override string Type => TypeName;

    /// <summary>The mode as files and certifiers spell it.</summary>
    public string ModeName => Mode == TicketEndMode.Ended ? "ended" : "terminated";
}

/// <summary>
/// The ticket was removed from the M-HSM (remove_hsm_tickets) after its end record: it no longer shows in
/// list_all_hsm_tickets. <paramref name="Forced"/> when it was still active (codes left, or reserved and never
/// loaded) and -force made the removal end it; <paramref name="CodesLost"/> is how many codes that gave up
/// (-1: an unlimited ticket). The OE's status check reports a forced removal.
/// </summary>
public sealed record TicketRemoved(TicketId Ticket, bool Forced, long CodesLost) : LedgerEvent(Ticket)
{
    public const string TypeName = "remove";
    public override string Type => TypeName;
}
