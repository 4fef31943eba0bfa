using System.CommandLine;
using Spps;
using Spps.Core;
using Spps.Core.Commands;
using Spps.Core.Formats;
using Spps.Hosting;

// spps: the OE's command line, the Job Manager equivalent. See README and docs/.
var root = new RootCommand("spps — Job Manager for secure production programming (OE site). " +
    "Runs Job Manager Tcl scripts (spps script FILE.tcl) and every Job Manager command as a subcommand. " +
    "State lives under SPPS_HOME (default ~/.spps).");

var scriptFile = new Argument<string>("file") { Description = "Job Manager script (.tcl), or - to read commands from standard input (a console on a terminal)" };
var script = new Command("script", "Run a Job Manager Tcl script; relative paths resolve against the current directory.") { scriptFile };
script.SetAction(parse => ScriptRunner.RunHosted(parse.GetValue(scriptFile)!, (env, output) => new JobManagerCommands(env) { WorkProgress = WorkConsoleProgress.For(output) }, onSuccess: (commands, output) =>
{
    var jobManager = (JobManagerCommands)commands;
    if (jobManager.Project is null) return;
    jobManager.SaveOpenProject();
    output.Line($"Saved '{jobManager.Project.FilePath}' (the script ended with the project open).");
}, onFailure: (commands, output) =>
{
    // A script that made a project and then failed leaves nothing half-made: run it again once fixed.
    if (((JobManagerCommands)commands).CreatedProjectFolder is not { } made || !Directory.Exists(made)) return;
    Directory.Delete(made, recursive: true);
    output.Notice($"Removed the project folder {made} this script created, so the script can run again once the error is fixed.");
}));
root.Subcommands.Add(script);

var jdc = new Command("jdc", "Job Data Containers: the design hand-off (seed §3.1).");
var design = new Option<string>("--design") { Description = "design name", Required = true };
var device = new Option<string>("--device") { Description = "target device, e.g. M2S090TS", Required = true };
var fabric = new Option<string>("--fabric") { Description = "FPGA fabric programming data (any binary file)", Required = true };
var security = new Option<string>("--security") { Description = "security policy file (default: a standard policy)" };
var envm = new Option<string[]>("--envm-client") { Description = "NAME=FILE: an eNVM client from Intel HEX (.hex) or raw binary; repeat for more", AllowMultipleArgumentsPerToken = false };
var output = new Option<string>("--output", "-o") { Description = "the .jdc to write", Required = true };
var json = CommandLineFactory.JsonOption();
var create = new Command("create", "Build a JDC from raw parts.") { design, device, fabric, security, envm, output, json };
create.SetAction(parse => CommandLineFactory.Run(parse.GetValue(json), "jdc create", (env, _) =>
{
    var clients = (parse.GetValue(envm) ?? []).Select(spec =>
    {
        var eq = spec.IndexOf('=');
        if (eq <= 0 || eq == spec.Length - 1)
            throw new SppsException(ErrorCodes.InvalidOptionValue, $"--envm-client takes NAME=FILE, not '{spec}'.");
        return (spec[..eq], env.Resolve(spec[(eq + 1)..]));
    }).ToList();
    var securityPath = parse.GetValue(security) is { } s ? env.Resolve(s) : null;
    var file = JdcFile.Create(env.Resolve(parse.GetValue(output)!), parse.GetValue(design)!, parse.GetValue(device)!, env.Resolve(parse.GetValue(fabric)!), securityPath, clients);
    var result = new CommandResult().Say($"Wrote {file.Path}: design {file.Design} for {file.Device}, design digest {file.DesignDigestHex}");
    foreach (var c in file.Components) result.Say($"  {c.Type} {c.Name}: {c.Length} bytes");
    result.Data["file"] = file.Path;
    result.Data["design_digest"] = file.DesignDigestHex;
    return result;
}));
jdc.Subcommands.Add(create);
root.Subcommands.Add(jdc);

var tutorial = new Command("tutorial", "The seed tutorial (TU0823) on this machine: its scripts and sample design files.");
var tutorialDir = new Argument<string>("dir") { Description = "folder to write into (created if missing): DIR/oe for the OE, DIR/cm for the CM" };
var tutorialOverwrite = new Option<bool>("--overwrite") { Description = "replace tutorial files that already exist" };
var tutorialJson = CommandLineFactory.JsonOption();
var tutorialInit = new Command("init", "Write the tutorial's Job Manager scripts and sample inputs (fabric.bin, client.hex) to DIR/oe and its FlashPro Express scripts to DIR/cm; README, \"Quick start\", runs them.") { tutorialDir, tutorialOverwrite, tutorialJson };
tutorialInit.SetAction(parse => CommandLineFactory.Run(parse.GetValue(tutorialJson), "tutorial init", (env, _) =>
{
    var folder = env.Resolve(parse.GetValue(tutorialDir)!);
    var files = Spps.Cli.TutorialFiles.Write(folder, parse.GetValue(tutorialOverwrite));
    var result = new CommandResult().Say($"Wrote the tutorial to {folder}:");
    foreach (var f in files) result.Say("  " + Path.GetRelativePath(folder, f));
    result.Say($"Next: make the JDC in {Path.Combine(folder, "oe")} (spps jdc create), then run the scripts in the order {Path.Combine(folder, "README.md")} gives.");
    result.Data["folder"] = folder;
    result.Data["files"] = new Newtonsoft.Json.Linq.JArray(files);
    return result;
}));
tutorial.Subcommands.Add(tutorialInit);
root.Subcommands.Add(tutorial);

CommandLineFactory.AddScriptCommands(root, (env, output) => new JobManagerCommands(env) { WorkProgress = WorkConsoleProgress.For(output) }, "the Job Manager project (.jprj) to open, change and save");
return CommandLineFactory.Invoke(root, args);
