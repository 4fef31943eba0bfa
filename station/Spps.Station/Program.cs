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

var scriptFile = new Argument<string>("file") { Description = "FlashPro Express script (.tcl), or - to read commands from standard input (a console on a terminal)" };
var scriptProgrammer = new Option<string[]>("--programmer") { Description = "programmer for run_selected_actions, e.g. sim:./boards (instead of SPPS_PROGRAMMER); repeat for gang programming", AllowMultipleArgumentsPerToken = false };
var script = new Command("script", "Run a FlashPro Express Tcl script; relative paths resolve against the current directory.") { scriptFile, scriptProgrammer };
// Task.Run: the invocation must be under way when Ctrl-C arrives, or System.CommandLine ends the process at once.
script.SetAction((parse, cancel) => Task.Run(() => ScriptRunner.RunHosted(parse.GetValue(scriptFile)!,
    (env, output) => new FlashProCommands(env, cancel) { Progress = StationConsoleProgress.For(output) },
    SiteOptions.Resolve(Environment.GetEnvironmentVariable,
        programmer: parse.GetValue(scriptProgrammer) is { Length: > 0 } programmers ? string.Join(';', programmers) : null)), CancellationToken.None));
root.Subcommands.Add(script);

var sim = new Command("sim", "Simulated boards of the reference device family (programmer sim:DIR).");
var dir = new Option<string>("--dir") { Description = "folder holding the boards", Required = true };
var count = new Option<int>("--count") { Description = "how many blank boards to make", Required = true };
var json = CommandLineFactory.JsonOption();
var chain = new Option<int>("--chain") { Description = "devices per board, on one JTAG chain (default 1)", DefaultValueFactory = _ => 1 };
var vendor = new Option<string>("--vendor") { Description = $"home of the simulated silicon vendor that makes the boards, created on first use (default ${SiteOptions.SimVendorVariable}, else {SiteOptions.DefaultSimVendor})" };
var createBoards = new Command("create-boards", "As the simulated silicon vendor, make N blank boards with device certificates and factory keys.") { dir, count, chain, vendor, json };
createBoards.SetAction(parse => CommandLineFactory.Run(parse.GetValue(json), "sim create-boards", (env, _) =>
{
    var farm = Farm(env);
    var maker = VendorHome(env, parse.GetValue(vendor));
    var boards = parse.GetValue(chain) == 1
        ? farm.CreateBoards(env.Resolve(parse.GetValue(dir)!), parse.GetValue(count), maker)
        : ((IJtagBoardSimulator)farm).CreateChainedBoards(env.Resolve(parse.GetValue(dir)!), parse.GetValue(count), parse.GetValue(chain), maker);
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
var dfkVendor = new Option<string>("--vendor") { Description = vendor.Description };
var exportDfk = new Command("export-dfk-db", "As the simulated silicon vendor, write its signed DFK database wrapped to this site's M-HSM (then: spps-station import-dfk-db --file F).") { dfkOut, dfkVendor, dfkJson };
exportDfk.SetAction(parse => CommandLineFactory.Run(parse.GetValue(dfkJson), "sim export-dfk-db", (env, _) =>
{
    using var flashPro = new FlashProCommands(env);
    var (uuid, transport) = flashPro.Station.MhsmTransportKey(); // the M-HSM service's, when SPPS_MHSM is set
    var path = env.Resolve(parse.GetValue(dfkOut)!);
    Spps.Core.IO.AtomicFile.WriteAllText(path, Farm(env).ExportFactoryKeyDatabase(VendorHome(env, parse.GetValue(dfkVendor)), transport, uuid));
    return new CommandResult().Say($"Wrote the DFK database for M-HSM {uuid} to {path}.");
}));
sim.Subcommands.Add(createBoards);
sim.Subcommands.Add(inspect);
sim.Subcommands.Add(exportDfk);
sim.Subcommands.Add(Spps.Station.SimJtagCommand.Create());
root.Subcommands.Add(sim);

root.Subcommands.Add(Spps.Station.MhsmCommands.Build());

var uiListen = new Option<string>("--listen") { Description = "where to serve, http://ADDRESS:PORT (default http://127.0.0.1:5080: this machine only)", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
var uiToken = new Option<string>("--token-file") { Description = $"file holding the token remote browsers must present (or set {Spps.Station.Web.StationWebHost.TokenVariable}); required to listen beyond this machine" };
var uiProgrammers = new Option<string[]>("--programmer") { Description = $"programmer offered in the window, e.g. sim:./boards; repeat for more (default: ${FlashProCommands.ProgrammerVariable})" };
var uiProject = new Option<string>("--project") { Description = "job project (.pro) to open at start" };
var ui = new Command("ui", "Serve the operator's programming window and M-HSM page to a browser (docs/operator.md). Stops on Ctrl-C or SIGTERM.") { uiListen, uiToken, uiProgrammers, uiProject };
ui.SetAction(parse =>
{
    var output = new HostOutput(false, Console.Out, Console.Error);
    try
    {
        using var env = SppsEnvironment.FromProcess(output.Notice);
        var token = parse.GetValue(uiToken) is { } tokenFile
            ? Spps.Station.Web.TokenFile.Read(env.Resolve(tokenFile))
            : Environment.GetEnvironmentVariable(Spps.Station.Web.StationWebHost.TokenVariable);
        var programmers = parse.GetValue(uiProgrammers) is { Length: > 0 } given ? given.ToList()
            : env.Options.Programmer is { } fromEnv ? [fromEnv] : new List<string>();
        using var backend = new Spps.Station.Web.StationServiceBackend(env, programmers);
        var session = new Spps.Station.Web.StationSession(backend);
        if (parse.GetValue(uiProject) is { } project)
        {
            var job = backend.Open(env.Resolve(project));
            session.Log($"Opened job project {job.Project} (job {job.Job}, M-HSM {job.MHsmUuid}).");
        }
        var app = Spps.Station.Web.StationWebHost.Build(new Spps.Station.Web.StationWebOptions(parse.GetValue(uiListen)!, token), session);
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        app.StartAsync(stop.Token).GetAwaiter().GetResult();
        output.Line($"Serving the operator UI on {string.Join(", ", app.Urls)} (Ctrl-C to stop).");
        try { Task.Delay(Timeout.Infinite, stop.Token).GetAwaiter().GetResult(); }
        catch (OperationCanceledException) { }
        session.Stop();
        app.StopAsync().GetAwaiter().GetResult();
        return ExitCodes.Success;
    }
    catch (SppsException e) { return output.Error(e, command: "ui"); }
    catch (IOException e) { return output.Error(new SppsException(ErrorCodes.OutputNotWritable, $"Cannot listen on {parse.GetValue(uiListen)}: {e.Message}"), command: "ui"); }
    catch (Exception e) { return output.Internal(e); }
});
root.Subcommands.Add(ui);

CommandLineFactory.AddScriptCommands(root, (env, output, cancel) => new FlashProCommands(env, cancel) { Progress = StationConsoleProgress.For(output) }, "the job project (.pro) to open");
return CommandLineFactory.Invoke(root, args);

static IVirtualBoardFarm Farm(SppsEnvironment env) =>
    env.Plugins.ProgrammerProvider("sim") as IVirtualBoardFarm
        ?? throw new SppsException(ErrorCodes.PluginNotFound, "The 'sim' programmer plugin does not simulate boards.");

// The simulated silicon vendor is a third party: its home is never the site's SPPS_HOME.
static string VendorHome(SppsEnvironment env, string? given) =>
    given is not null ? env.Resolve(given) : env.Options.SimVendor;
