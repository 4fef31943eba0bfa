using System.CommandLine;
using Newtonsoft.Json.Linq;
using Spps.Core.Commands;
using Spps.Core.Manufacturer;
using Spps.Hosting;

namespace Spps.Station;

/// <summary>
/// spps-station mhsm maintenance check|begin|end: the safe procedure around swapping, upgrading or erasing the
/// M-HSM (docs/operator.md). Thin adapters over <see cref="StationService"/>'s maintenance methods.
/// </summary>
internal static class MaintenanceCommands
{
    public static Command Build()
    {
        var maintenance = new Command("maintenance", "Swap, upgrade or erase the M-HSM safely: 'check' lists the unfinished jobs that block it, " +
            "'begin' (refused while any job is unfinished) stops the M-HSM from answering requests and loading jobs, 'end' opens it again.");
        maintenance.Subcommands.Add(Step("check", "Say whether maintenance may begin: exit 0 when no job is unfinished, else SPPS4026 with each job and the commands that end it.",
            station =>
            {
                var state = station.MaintenanceCheck();
                if (!state.Clear) throw StationService.MaintenanceBlocked(state);
                return state;
            }));
        maintenance.Subcommands.Add(Step("begin", "Begin maintenance: refused (SPPS4026) while jobs are unfinished; then no request is answered and no job loaded until 'end'.",
            station => station.BeginMaintenance()));
        maintenance.Subcommands.Add(Step("end", "End maintenance: open the M-HSM again and say whether its identity key changed (OEs pin it).",
            station => station.EndMaintenance()));
        return maintenance;
    }

    private static Command Step(string name, string help, Func<StationService, MaintenanceState> run)
    {
        var json = CommandLineFactory.JsonOption();
        var command = new Command(name, help) { json };
        command.SetAction(parse => CommandLineFactory.Run(parse.GetValue(json), "mhsm maintenance " + name, (env, _) =>
        {
            using var station = new StationService(env);
            var state = run(station);
            return Present(name, state);
        }));
        return command;
    }

    private static CommandResult Present(string step, MaintenanceState state)
    {
        var result = new CommandResult();
        switch (step)
        {
            case "check":
                result.Say($"M-HSM {state.MHsmUuid}: no unfinished job; maintenance may begin ('spps-station mhsm maintenance begin').");
                if (state.InMaintenance) result.Say($"It is in maintenance since {state.Since}.");
                break;
            case "begin":
                result.Say($"M-HSM {state.MHsmUuid} is in maintenance since {state.Since}: it answers no job request and loads no job until 'spps-station mhsm maintenance end'.");
                result.Say($"Its identity key fingerprint now: {state.IdentityFingerprint}");
                break;
            default:
                result.Say(state.Since is null
                    ? $"M-HSM {state.MHsmUuid} was not in maintenance."
                    : $"M-HSM {state.MHsmUuid}: maintenance begun {state.Since} has ended; it answers requests and loads jobs again.");
                result.Say($"Its identity key fingerprint: {state.IdentityFingerprint}");
                if (state.FingerprintAtBegin is { } before && before != state.IdentityFingerprint)
                    result.Say($"The identity key CHANGED during maintenance (was {before}): OEs pinned the old key and will refuse this M-HSM's replies (SPPS4015) until they pin the new one (set_hsm_params -m_hsm_fingerprint {state.IdentityFingerprint}).");
                break;
        }
        result.Data["m_hsm_uuid"] = state.MHsmUuid;
        result.Data["in_maintenance"] = step == "end" ? false : step == "begin" || state.InMaintenance;
        result.Data["since"] = state.Since;
        result.Data["identity_fingerprint"] = state.IdentityFingerprint;
        result.Data["identity_changed"] = state.FingerprintAtBegin is { } b && b != state.IdentityFingerprint;
        result.Data["unfinished_jobs"] = new JArray(state.Unfinished.Select(j => new JObject { ["job"] = j.Job, ["project"] = j.Project }));
        return result;
    }
}
