using Newtonsoft.Json.Linq;
using Spps.Contracts.Programmers;
using Spps.Core.Manufacturer;
using Spps.Jtag;

namespace Spps.Core.Commands;

/// <summary>
/// FlashPro Express programmer commands: <c>scan_chain_prg</c> (IDCODEs on each chain),
/// <c>refresh_prg_list</c> (programmer plugins and the configured programmers) and <c>ping_prg</c> (reach
/// each configured programmer). Programmers are named as for run_selected_actions (-programmer or SPPS_PROGRAMMER).
/// </summary>
public sealed partial class FlashProCommands
{
    private IEnumerable<CommandSpec> ProgrammerCommands() =>
    [
        new("scan_chain_prg", "List the devices on each programmer's JTAG chain: position, IDCODE, IR length.",
            [new("programmer", $"programmer connection(s), as for run_selected_actions (default: ${ProgrammerVariable})")], ScanChainPrg),
        new("refresh_prg_list", "List the programmer plugins installed and the programmers configured, and whether each answers.",
            [new("programmer", $"programmer connection(s) (default: ${ProgrammerVariable})")], RefreshPrgList),
        new("ping_prg", "Check that each configured programmer answers and sees its chain.",
            [new("programmer", $"programmer connection(s) (default: ${ProgrammerVariable})")], PingPrg),
    ];

    private string ConnectionList(CommandCall call) =>
        call.Optional("programmer") ?? _env.Options.Programmer
            ?? throw new SppsException(ErrorCodes.ProgrammerInvalid, $"No programmer: set {ProgrammerVariable} (e.g. sim:./boards) or pass -programmer.", call.Location);

    private CommandResult ScanChainPrg(CommandCall call)
    {
        var result = new CommandResult();
        var chains = new JArray();
        foreach (var connection in ProgrammerConnections.Parse(ConnectionList(call), _env, call.Location))
        {
            foreach (var chain in OpenChains(connection, call))
            {
                using (chain)
                {
                    var ids = IdCodes(chain);
                    result.Say($"{chain.Tap.Location}: {chain.Devices.Count} device(s)");
                    var devices = new JArray();
                    for (var i = 0; i < chain.Devices.Count; i++)
                    {
                        var d = chain.Devices[i];
                        result.Say($"  {i + 1}  IDCODE {(ids[i] is { } id ? $"0x{id:X8}" : "none (BYPASS after reset)")}  IR {d.IrLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}  {d.Name}");
                        devices.Add(new JObject { ["hw_location"] = i + 1, ["idcode"] = ids[i] is { } v ? $"0x{v:X8}" : null, ["ir_length"] = d.IrLength, ["name"] = d.Name });
                    }
                    chains.Add(new JObject { ["programmer"] = connection, ["location"] = chain.Tap.Location, ["devices"] = devices });
                }
            }
        }
        result.Data["chains"] = chains;
        return result;
    }

    private CommandResult RefreshPrgList(CommandCall call)
    {
        var result = new CommandResult();
        var plugins = _env.Plugins.Entries.Where(e => e.Kind == "programmer").ToList();
        foreach (var p in plugins) result.Say($"plugin {p.Name}: {p.Description}");
        result.Data["plugins"] = JArray.FromObject(plugins.Select(p => new { name = p.Name, description = p.Description }));
        if ((call.Optional("programmer") ?? _env.Options.Programmer) is null) return result;
        var ping = PingPrg(call);
        foreach (var line in ping.Lines) result.Say(line);
        result.Data["programmers"] = ping.Data["programmers"];
        return result;
    }

    private CommandResult PingPrg(CommandCall call)
    {
        var result = new CommandResult();
        var programmers = new JArray();
        var failures = new List<string>();
        ErrorCode? code = null;
        foreach (var connection in ProgrammerConnections.Parse(ConnectionList(call), _env, call.Location))
        {
            try
            {
                var chains = OpenChains(connection, call);
                var devices = chains.Sum(c => c.Devices.Count);
                foreach (var c in chains) c.Dispose();
                result.Say($"{connection}: answers; {chains.Count} chain(s), {devices} device(s)");
                programmers.Add(new JObject { ["programmer"] = connection, ["ok"] = true, ["chains"] = chains.Count, ["devices"] = devices });
            }
            catch (SppsException e)
            {
                result.Say($"{connection}: error {e.Code}: {e.Message}");
                programmers.Add(new JObject { ["programmer"] = connection, ["ok"] = false, ["error_code"] = e.Code.Id, ["message"] = e.Message });
                failures.Add($"{connection}: {e.Message}");
                code ??= e.Code;
            }
        }
        result.Data["programmers"] = programmers;
        if (failures.Count > 0)
            throw new CommandFailedException(result, new SppsException(code!, $"{failures.Count} programmer(s) did not answer: {string.Join("; ", failures)}", call.Location));
        return result;
    }

    /// <summary>The chains behind one connection; a provider without chains gives one chain per port.</summary>
    private List<JtagChain> OpenChains(string connection, CommandCall call)
    {
        var (provider, argument) = ProgrammerConnections.Resolve(_env, connection, call.Location);
        return provider is IJtagChainProvider chains
            ? chains.OpenChains(argument).ToList()
            : throw new SppsException(ErrorCodes.ProgrammerInvalid, $"The '{provider.Name}' programmer does not give JTAG chains.", call.Location);
    }

    /// <summary>IDCODEs after a TAP reset (IEEE 1149.1: a 32-bit IDCODE with bit 0 set, or a 1-bit BYPASS reading 0).</summary>
    private static uint?[] IdCodes(JtagChain chain)
    {
        if (chain.Devices.All(d => d.IdCode is not null)) return chain.Devices.Select(d => d.IdCode).ToArray();
        chain.Tap.Reset();
        var bits = chain.Devices.Count * 32;
        var tdo = chain.Tap.ShiftDr(new byte[JtagBits.Bytes(bits)], bits);
        var ids = new uint?[chain.Devices.Count];
        var at = 0;
        for (var i = 0; i < ids.Length && at < bits; i++)
        {
            if (!JtagBits.Get(tdo, at)) { at++; continue; }
            uint id = 0;
            for (var b = 0; b < 32 && at + b < bits; b++) if (JtagBits.Get(tdo, at + b)) id |= 1u << b;
            ids[i] = id;
            at += 32;
        }
        return ids;
    }
}
