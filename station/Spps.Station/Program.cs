using System.CommandLine;
using Newtonsoft.Json.Linq;
using Spps.Contracts.Programmers;
using Spps;
using Spps.Core;
using Spps.Core.Commands;
using Spps.Core.Site;
using Spps.Hosting;

// spps-station: the factory runner (CM site), the FlashPro Express equivalent. See README and docs/.
var root = new RootCommand("spps-station — FlashPro Express for secure production programming (CM site). " +
    "Runs FlashPro Express Tcl scripts (spps-station script FILE.tcl), every FlashPro Express command as a subcommand, " +
    "and simulated boards (spps-station sim). State lives under SPPS_HOME (default ~/.spps); the programmer comes from SPPS_PROGRAMMER (e.g. sim:./boards).");

var scriptFile = new Argument<string>("file") { Description = "FlashPro Express script (.tcl)" };
var scriptProgrammer = new Option<string>("--programmer") { Description = "programmer for run_selected_actions, e.g. sim:./boards (instead of SPPS_PROGRAMMER)" };
var script = new Command("script", "Run a FlashPro Express Tcl script; relative paths resolve against the current directory.") { scriptFile, scriptProgrammer };
script.SetAction((parse, cancel) => Task.FromResult(ScriptRunner.RunHosted(parse.GetValue(scriptFile)!, env => new FlashProCommands(env, cancel),
    SiteOptions.Resolve(Environment.GetEnvironmentVariable, programmer: parse.GetValue(scriptProgrammer)))));
root.Subcommands.Add(script);

var sim = new Command("sim", "Simulated boards of the reference device family (programmer sim:DIR).");
var dir = new Option<string>("--dir") { Description = "folder holding the boards", Required = true };
var count = new Option<int>("--count") { Description = "how many blank boards to make", Required = true };
var json = CommandLineFactory.JsonOption();
var createBoards = new Command("create-boards", "Make N blank boards, with device certificates from this site's simulated silicon vendor.") { dir, count, json };
createBoards.SetAction(parse => CommandLineFactory.Run(parse.GetValue(json), "sim create-boards", (env, _) =>
{
    var farm = Farm(env);
    var boards = farm.CreateBoards(env.Resolve(parse.GetValue(dir)!), parse.GetValue(count), env.Home);
    var result = new CommandResult().Say($"Created {boards.Count} blank board(s) in {env.Resolve(parse.GetValue(dir)!)}.");
    foreach (var b in boards) result.Say($"  {Path.GetFileName(b.Location)}: DSN {b.Dsn}");
    result.Data["boards"] = JArray.FromObject(boards.Select(b => new { dsn = b.Dsn, state = b.State, design = b.Design, location = b.Location }));
    return result;
}));
var inspectJson = CommandLineFactory.JsonOption();
var inspectDir = new Option<string>("--dir") { Description = "folder holding the boards", Required = true };
var inspect = new Command("inspect", "Show every board: DSN, state (blank or programmed) and design. With --json: a JSON array, one object per board.") { inspectDir, inspectJson };
inspect.SetAction(parse =>
{
    var output = new HostOutput(parse.GetValue(inspectJson), Console.Out, Console.Error);
    try
    {
        using var env = SppsEnvironment.FromProcess(output.Notice);
        var boards = Farm(env).Inspect(env.Resolve(parse.GetValue(inspectDir)!));
        if (output.Json)
            output.JsonDocument(JArray.FromObject(boards.Select(b => new { dsn = b.Dsn, state = b.State, design = b.Design, location = b.Location, cycle_count = b.CycleCount })));
        else
            foreach (var b in boards) output.Line($"{Path.GetFileName(b.Location)}  DSN {b.Dsn}  {b.State,-10}  {b.Design ?? "-"}  cycles {b.CycleCount}");
        return ExitCodes.Success;
    }
    catch (SppsException e) { return output.Error(e, command: "sim inspect"); }
    catch (Exception e) { return output.Internal(e); }
});
var dfkOut = new Option<string>("--output", "-o") { Description = "DFK database file to write", Required = true };
var dfkJson = CommandLineFactory.JsonOption();
var exportDfk = new Command("export-dfk-db", "As the simulated silicon vendor, write its DFK database wrapped to this site's M-HSM (then: spps-station import-dfk-db --file F).") { dfkOut, dfkJson };
exportDfk.SetAction(parse => CommandLineFactory.Run(parse.GetValue(dfkJson), "sim export-dfk-db", (env, _) =>
{
    using var flashPro = new FlashProCommands(env);
    var mhsm = flashPro.Mhsm;
    var transport = mhsm.Hsm.GetPublicKey(mhsm.Hsm.FindKey(RoleKeys.TransportLabel)!);
    var path = env.Resolve(parse.GetValue(dfkOut)!);
    Spps.Core.IO.AtomicFile.WriteAllText(path, Farm(env).ExportFactoryKeyDatabase(env.Home, transport, mhsm.Uuid));
    return new CommandResult().Say($"Wrote the DFK database for M-HSM {mhsm.Uuid} to {path}.");
}));
sim.Subcommands.Add(createBoards);
sim.Subcommands.Add(inspect);
sim.Subcommands.Add(exportDfk);
root.Subcommands.Add(sim);

root.Subcommands.Add(Spps.Station.MhsmCommands.Build());

CommandLineFactory.AddScriptCommands(root, env => new FlashProCommands(env), "the job project (.pro) to open");
return CommandLineFactory.Invoke(root, args);

static IVirtualBoardFarm Farm(SppsEnvironment env) =>
    env.Plugins.ProgrammerProvider("sim") as IVirtualBoardFarm
        ?? throw new SppsException(ErrorCodes.PluginNotFound, "The 'sim' programmer plugin does not simulate boards.");
