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

var scriptFile = new Argument<string>("file") { Description = "Job Manager script (.tcl)" };
var script = new Command("script", "Run a Job Manager Tcl script; relative paths resolve against the current directory.") { scriptFile };
script.SetAction(parse => ScriptRunner.RunHosted(parse.GetValue(scriptFile)!, env => new JobManagerCommands(env), onSuccess: (commands, output) =>
{
    var jobManager = (JobManagerCommands)commands;
    if (jobManager.Project is null) return;
    jobManager.SaveOpenProject();
    output.Line($"Saved '{jobManager.Project.FilePath}' (the script ended with the project open).");
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

CommandLineFactory.AddScriptCommands(root, env => new JobManagerCommands(env), "the Job Manager project (.jprj) to open, change and save");
return CommandLineFactory.Invoke(root, args);
