using Spps.Core.Domain;

namespace Spps.Core.Manufacturer.Policy;

/// <summary>What a device asks for: a code for one action under one ticket. <paramref name="Station"/> is the station the M-HSM service authenticated (null in process); a counted device records it.</summary>
public sealed record IssueRequest(TicketId Ticket, ProgrammingAction Action, Dsn Dsn, bool HasCertificate, bool HasEphemeralKey, string? Station = null);

/// <summary>The policy's answer to an <see cref="IssueRequest"/>.</summary>
public abstract record IssueDecision
{
    private IssueDecision() { }

    /// <summary>A new device: record <see cref="Event"/> durably, then compute the code.</summary>
    public sealed record Count(CodeIssued Event, KeyMode KeyMode) : IssueDecision;

    /// <summary>A device already counted (a retry after a failure): the code is free.</summary>
    public sealed record Retry(KeyMode KeyMode) : IssueDecision;

    /// <summary>No code; <see cref="Error"/> says why.</summary>
    public sealed record Refuse(SppsException Error) : IssueDecision;
}

/// <summary>
/// The overbuild rule, pure: no HSM, no files. Given a ticket's state and a request, decides whether a
/// device is counted, is a free retry, or is refused. The M-HSM records the decision's event durably
/// before any code exists, so a crash can lose a code but never hand out one that is not counted.
/// </summary>
public static class TicketPolicy
{
    public static IssueDecision Decide(TicketState? state, IssueRequest request)
    {
        if (!request.Action.NeedsAuthorizationCode)
            return new IssueDecision.Refuse(PolicyErrors.NoCodeForReadOnly(request.Action));
        if (state is null || !state.Loaded)
            return new IssueDecision.Refuse(PolicyErrors.NotLoaded(request.Ticket));
        var load = state.Load!;
        if (state.Ended)
            return new IssueDecision.Refuse(PolicyErrors.Ended(state));
        if (load.Action != request.Action)
            return new IssueDecision.Refuse(PolicyErrors.WrongAction(state, request.Action));
        if (load.KeyMode.RequiresDeviceCertificate && !request.HasCertificate)
            return new IssueDecision.Refuse(PolicyErrors.NoCertificate(request.Dsn, load.KeyMode));
        if (load.KeyMode.RequiresDeviceEphemeral && !request.HasEphemeralKey)
            return new IssueDecision.Refuse(PolicyErrors.NoEphemeral(request.Dsn, load.KeyMode));
        if (state.HasDevice(request.Dsn))
            return new IssueDecision.Retry(load.KeyMode);
        if (!state.Unlimited && state.Issued >= state.MaxDevice)
            return new IssueDecision.Refuse(PolicyErrors.Overbuild(state, request.Dsn));
        return new IssueDecision.Count(new CodeIssued(request.Ticket, request.Dsn, state.Issued + 1, request.Station), load.KeyMode);
    }

    /// <summary>Whether a ticket may be loaded from a job: reserved here, for what the job says, never loaded, not ended.</summary>
    public static SppsException? CheckLoad(TicketState? state, TicketLoaded load, string uhsmKey, SourceLocation where)
    {
        if (state?.Reservation is not { } r)
            return new SppsException(ErrorCodes.TicketNotReserved, $"Ticket {load.Name} ({load.Ticket}) was never reserved by this M-HSM: the job was not made from one of its replies.", where);
        if (r.UHsmKey != uhsmKey || r.Name != load.Name || r.Action != load.Action || r.MaxDevice != load.MaxDevice || r.Device != load.Device)
            return new SppsException(ErrorCodes.TicketNotReserved, $"Ticket {load.Name} ({load.Ticket}) differs from what was requested (signer, action, device or max_device).", where);
        if (state.Ended)
            return new SppsException(ErrorCodes.TicketNotActive, $"Ticket {load.Name} ({load.Ticket}) has ended; it cannot be loaded again.", where);
        if (state.Loaded)
            return new SppsException(ErrorCodes.TicketAlreadyLoaded, $"Ticket {load.Name} ({load.Ticket}) is already loaded into this M-HSM: a job is loaded once, and its counters are never reset. Open the existing job project instead.", where);
        return null;
    }

    /// <summary>How a ticket ends now, or null when it has ended already.</summary>
    public static TicketEndMode? EndMode(TicketState state, bool terminate) =>
        state.Ended ? null : !state.Unlimited && state.Left == 0 ? TicketEndMode.Ended : terminate ? TicketEndMode.Terminated : TicketEndMode.Ended;

    /// <summary>
    /// Whether a ticket is still active: not ended, and with codes left (or unlimited), including a ticket
    /// reserved by a reply whose job was never loaded. Removing it, or swapping the M-HSM, loses those codes.
    /// </summary>
    public static bool IsActive(TicketState state) => !state.Ended && (state.Unlimited || state.Left > 0);

    /// <summary>How many codes removing the ticket now gives up: 0 for a finished one, -1 for an unlimited one.</summary>
    public static long CodesLostByRemoval(TicketState state) => !IsActive(state) ? 0 : state.Unlimited ? -1 : state.Left;

    /// <summary>The tickets that still have codes, which block an end without -terminate.</summary>
    public static IReadOnlyList<TicketState> WithCodesLeft(IEnumerable<TicketState> states) =>
        states.Where(s => !s.Ended && !s.Unlimited && s.Left > 0).ToList();
}

/// <summary>Every refusal of the ticket policy, with its code and message in one place.</summary>
public static class PolicyErrors
{
    public static SppsException NoCodeForReadOnly(ProgrammingAction action) =>
        new(ErrorCodes.ActionNotAuthorized, $"{action} only reads the device: it needs no authorization code, and the M-HSM issues none for it.");

    public static SppsException NotLoaded(TicketId ticket) =>
        new(ErrorCodes.TicketNotActive, $"Ticket {ticket} is not loaded into this M-HSM.");

    public static SppsException Ended(TicketState state) =>
        new(ErrorCodes.TicketNotActive, $"Ticket {state.Name} ({state.Id}) has ended: no more authorization codes.");

    public static SppsException WrongAction(TicketState state, ProgrammingAction asked) =>
        new(ErrorCodes.ActionNotAuthorized, $"Ticket {state.Name} authorizes {state.Load!.Action}, not {asked}.");

    public static SppsException NoCertificate(Dsn dsn, KeyMode mode) =>
        new(ErrorCodes.DeviceNotGenuine, $"Device {dsn} presented no device certificate; key mode {mode} needs one.");

    public static SppsException NoEphemeral(Dsn dsn, KeyMode mode) =>
        new(ErrorCodes.DeviceProtocol, $"Key mode {mode} needs the device's ephemeral key; device {dsn} sent none.");

    public static SppsException Overbuild(TicketState state, Dsn dsn) =>
        new(ErrorCodes.Overbuild, $"Ticket {state.Name} has no authorization codes left ({state.Issued} of {state.MaxDevice} used): device {dsn} is refused.");

    public static SppsException TicketsActive(IEnumerable<TicketState> active) =>
        new(ErrorCodes.TicketsActive, "Refused: these tickets are still active, and removing them loses their authorization codes: " +
            string.Join("; ", active.Select(s => $"{s.Name} ({s.Id.Display}) of job {s.Load?.Job ?? s.Reservation?.Job}: {Lost(s)}")) +
            ". End their job first (open its project; get_job_status -job_status_file FILE; complete_prog_job [-terminate] -job_status_file FILE), " +
            "or add -force to remove them anyway: the codes left are lost, and the OE's status check will show the forced removal.");

    /// <summary>What removing an active ticket gives up, in words.</summary>
    public static string Lost(TicketState s) => !s.Loaded
        ? $"reserved for a job never loaded here, {(s.Unlimited ? "unlimited" : s.MaxDevice.ToString(System.Globalization.CultureInfo.InvariantCulture))} code(s); that job could never be loaded"
        : s.Unlimited ? $"{s.Issued} issued, unlimited codes left" : $"{s.Issued} issued, {s.Left} of {s.MaxDevice} code(s) left";

    public static SppsException CodesRemain(IEnumerable<TicketState> open) =>
        new(ErrorCodes.CodesRemain, $"Authorization codes remain ({string.Join(", ", open.Select(s => $"{s.Name}: {s.Left} left"))}). Finish production, or add -terminate to end the job early.");
}
