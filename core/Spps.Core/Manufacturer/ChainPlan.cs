using Spps.Contracts.Programmers;
using Spps.Core.Domain;
using Spps.Core.Protocol;
using Spps.Jtag;

namespace Spps.Core.Manufacturer;

/// <summary>One device a station works on: its port and ticket (none for an action that needs no code) and the job's device, or why it cannot.</summary>
public sealed record ChainTarget(IJtagPort? Port, JobTicket? Ticket, BoardResult? Failure, JobDevice? Device = null);

/// <summary>
/// Which device of which chain gets which ticket. A job's device with <c>hw_location</c> k is device k of
/// every chain (k = 1 nearest TDO; <see cref="ChainedDevicePort"/>); devices the job does not program
/// stay in BYPASS and are not touched. A chain of one device is the job's first device, whatever its
/// <c>hw_location</c> (single-device boards, as before chains). Ports that are not chain positions
/// (other plugins' single devices) count as chains of one.
/// </summary>
public sealed class ChainPlan
{
    private ChainPlan(IReadOnlyList<IReadOnlyList<ChainTarget>> chains) => Chains = chains;

    /// <summary>The targets, grouped by chain; each group runs in order.</summary>
    public IReadOnlyList<IReadOnlyList<ChainTarget>> Chains { get; }

    /// <summary>How many results a run of this plan gives: one per target.</summary>
    public int Count => Chains.Sum(c => c.Count);

    public static ChainPlan For(JobFile job, ProgrammingAction action, IReadOnlyList<IJtagPort> ports)
    {
        var devices = job.Devices.OrderBy(d => d.HwLocation)
            .Select(d => (Device: d, Ticket: job.Tickets.FirstOrDefault(t => t.Spec.Action == action && t.Spec.Device == d.Name)))
            .ToList();
        // An action that needs no code (DEVICE_INFO, READ_IDCODE, VERIFY_DIGEST) reads every device of the job, ticket or not.
        var programmed = devices.Where(d => d.Ticket is not null || !action.NeedsAuthorizationCode).ToList();
        if (programmed.Count == 0)
        {
            foreach (var port in ports) port.Dispose();
            var first = devices[0].Device;
            throw new SppsException(ErrorCodes.ActionNotAuthorized,
                $"Job {job.Job} has no ticket for {action} on {first.Name}: the OE authorized only {string.Join(", ", job.Tickets.Select(t => t.Spec.Action).Distinct())}.");
        }
        var chains = new List<IReadOnlyList<ChainTarget>>();
        foreach (var group in ports.GroupBy(p => p is ChainedDevicePort c ? c.Tap : (object)p))
        {
            var members = group.ToList();
            var length = members[0] is ChainedDevicePort c0 ? c0.ChainLength : 1;
            var byPosition = members.ToDictionary(p => p is ChainedDevicePort c ? c.Index + 1 : 1);
            var targets = new List<ChainTarget>();
            if (length == 1)
            {
                targets.Add(new ChainTarget(members[0], programmed[0].Ticket, null, programmed[0].Device));
            }
            else
            {
                foreach (var (device, ticket) in programmed)
                {
                    if (byPosition.Remove(device.HwLocation, out var port))
                        targets.Add(new ChainTarget(port, ticket, null, device));
                    else
                        targets.Add(new ChainTarget(null, ticket, new BoardResult(members[0].Location, null, action, false,
                            $"the chain has {length} device(s), but the job programs {device.Name} at hw_location {device.HwLocation}",
                            ErrorCodes.ChainMismatch, null)));
                }
                foreach (var unused in byPosition.Values) unused.Dispose(); // stays in BYPASS
            }
            chains.Add(targets);
        }
        return new ChainPlan(chains);
    }
}
