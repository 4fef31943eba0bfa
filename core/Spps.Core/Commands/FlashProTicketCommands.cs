using Newtonsoft.Json.Linq;
using Spps.Core.Domain;
using Spps.Core.Manufacturer;

namespace Spps.Core.Commands;

/// <summary>
/// FlashPro Express HSM-ticket commands: <c>list_all_hsm_tickets</c> (every ticket the M-HSM holds) and
/// <c>remove_hsm_tickets</c> (finished tickets; active ones only with -force, which is recorded). Neither
/// needs an open job project, as in the seed's tool.
/// </summary>
public sealed partial class FlashProCommands
{
    private IEnumerable<CommandSpec> TicketCommands() =>
    [
        new("list_all_hsm_tickets", "List the tickets the M-HSM holds: ID, job, action, state, codes issued and left.",
        [
            new("output_file", "also write the ticket IDs, one per line, to this file"),
            new("include_removed", "also list tickets removed by remove_hsm_tickets", IsFlag: true),
        ], ListAllHsmTickets),
        new("remove_hsm_tickets", "Remove tickets from the M-HSM: finished ones; active ones (codes left) only with -force, which loses their codes and is recorded in the ledger.",
        [
            new("ticket_ids", "hex ticket IDs to remove, separated by spaces"),
            new("ticket_id", "same as -ticket_ids"),
            new("reply_file", "remove every ticket of this job reply (.rep)"),
            new("force", "also remove active tickets (their codes left are lost; the OE's status check shows it)", IsFlag: true),
        ], RemoveHsmTickets),
    ];

    private CommandResult ListAllHsmTickets(CommandCall call)
    {
        var tickets = _station.ListTickets(call.Flag("include_removed"));
        var result = new CommandResult().Say($"M-HSM {_station.Mhsm.Uuid} holds {tickets.Count} ticket(s).");
        foreach (var t in tickets)
        {
            result.Say("").Say($"Ticket ID: {t.Id.Display}").Say($"Ticket Name: {t.Name}").Say($"Job: {t.Job} (HSM task {t.HsmTask})")
                .Say($"Device Name: {t.Device}").Say($"Action: {t.Action}").Say($"State: {t.StateName}")
                .Say($"Authorization codes: {t.State.Issued} issued, {(t.Left < 0 ? "unlimited" : t.Left.ToString(System.Globalization.CultureInfo.InvariantCulture))} left of {MaxText(t.State.MaxDevice)}");
            if (t.Project is { } project) result.Say($"Job project: {project}");
            if (t.State.Removal is { Forced: true } removal)
                result.Say($"Removed by force: {(removal.CodesLost < 0 ? "unlimited" : removal.CodesLost.ToString(System.Globalization.CultureInfo.InvariantCulture))} code(s) given up");
        }
        result.Data["m_hsm_uuid"] = _station.Mhsm.Uuid;
        result.Data["tickets"] = new JArray(tickets.Select(t => new JObject
        {
            ["ticket_id"] = t.Id.Value, ["name"] = t.Name, ["job"] = t.Job, ["hsm_task"] = t.HsmTask, ["device"] = t.Device, ["action"] = t.Action,
            ["state"] = t.StateName, ["max_device"] = t.State.MaxDevice, ["issued"] = t.State.Issued, ["left"] = t.Left, ["project"] = t.Project,
            ["removed_by_force"] = t.State.Removal?.Forced ?? false,
        }));
        if (call.Optional("output_file") is { } file)
        {
            var path = _env.Resolve(file);
            IO.AtomicFile.WriteAllText(path, string.Concat(tickets.Select(t => t.Id.Value + "\n")));
            result.Say($"Wrote the ticket IDs to {path}");
            result.Data["output_file"] = path;
        }
        return result;
    }

    private CommandResult RemoveHsmTickets(CommandCall call)
    {
        var ids = new[] { call.Optional("ticket_ids"), call.Optional("ticket_id") }
            .Where(v => v is not null)
            .SelectMany(v => v!.Split([' ', '\t', ',', '\n'], StringSplitOptions.RemoveEmptyEntries))
            .Select(v => TicketId.Parse(v, what => new SppsException(ErrorCodes.InvalidOptionValue, $"'{v}' is not a valid ticket ID: give {what}.", call.Location)))
            .ToList();
        var removals = _station.RemoveTickets(ids, call.Optional("reply_file") is { } reply ? _env.Resolve(reply) : null, call.Flag("force"));
        var result = new CommandResult();
        foreach (var r in removals)
        {
            var t = new HsmTicket(r.Ticket);
            if (r.AlreadyRemoved)
                result.Say($"Ticket {t.Name} ({t.Id.Display}) of job {t.Job} was already removed.");
            else if (r.Forced)
                result.Say($"Removed ACTIVE ticket {t.Name} ({t.Id.Display}) of job {t.Job} by force: " +
                    $"{(r.CodesLost < 0 ? "its unlimited codes are" : $"{r.CodesLost} unused authorization code(s) are")} lost; " +
                    (t.Project is null ? "the job made from its reply can never be loaded. " : $"{t.Action} can no longer run for job project {t.Project}. ") +
                    "The ledger records the forced removal, and the OE's status check will show it" + (r.Certifier is null ? "." : $"; its end certifier ({r.Certifier.Mode}, {r.Certifier.Count} device(s)) stays for the job's final status."));
            else
                result.Say($"Removed ticket {t.Name} ({t.Id.Display}) of job {t.Job} ({r.Ticket.End?.ModeName}, {r.Ticket.Issued} device(s)).");
        }
        result.Data["removed"] = new JArray(removals.Select(r => new JObject
        {
            ["ticket_id"] = r.Ticket.Id.Value, ["name"] = r.Ticket.Name, ["job"] = new HsmTicket(r.Ticket).Job, ["forced"] = r.Forced,
            ["codes_lost"] = r.CodesLost, ["already_removed"] = r.AlreadyRemoved, ["end_mode"] = r.Ticket.End?.ModeName,
        }));
        return result;
    }

    private static string MaxText(long max) => max < 0 ? "unlimited" : max.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
