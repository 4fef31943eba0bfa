using System.Text.RegularExpressions;

namespace Spps.Tools.Tests;

/// <summary>What a user meets who installs the tools: a local feed, dotnet tool install, the installed commands.</summary>
[Collection(Machine.Collection)]
public sealed partial class InstalledToolsTests(Machine machine)
{
    [Fact]
    public void Tools_from_a_local_feed_install_with_their_plugins_report_the_package_version_and_program_boards()
    {
        var env = machine.NewUser("tool-path-user");
        var home = env["HOME"]!;
        var feed = Path.Combine(home, "feed");
        var tools = Path.Combine(home, "tools");
        foreach (var project in new[] { "cli/Spps.Cli", "station/Spps.Station" })
            Run.Start("dotnet", ["pack", project, "-c", "Release", "-o", feed, "-nologo"], Machine.RepoRoot, env).ShouldSucceed();
        var version = PackageVersion().Match(Path.GetFileName(Directory.GetFiles(feed, "spps-station.*.nupkg").Single())).Groups[1].Value;
        foreach (var tool in new[] { "spps", "spps-station" })
            Run.Start("dotnet", ["tool", "install", tool, "--tool-path", tools, "--add-source", feed, "--version", version], home, env).ShouldSucceed();
        var spps = Path.Combine(tools, "spps");
        var station = Path.Combine(tools, "spps-station");
        Assert.Equal(version, Run.Start(spps, ["--version"], home, env).ShouldSucceed().Output.Trim());
        Assert.Equal(version, Run.Start(station, ["--version"], home, env).ShouldSucceed().Output.Trim());

        // Shell completion (docs/install.md): what dotnet-suggest asks and what the installed programs answer.
        Assert.Equal("run-selected-actions", Run.Start(station, ["[suggest:17]", "spps-station run-s"], home, env).ShouldSucceed().Output.Trim());
        Assert.Equal("tutorial", Run.Start(spps, ["[suggest]", "tut"], home, env).ShouldSucceed().Output.Trim());

        var work = Path.Combine(home, "tutorial");
        Directory.CreateDirectory(work);
        Run.Start(spps, ["tutorial", "init", "."], work, env).ShouldSucceed();
        var oe = Path.Combine(work, "oe");
        var cm = Path.Combine(work, "cm");
        var oeEnv = new Dictionary<string, string?>(env) { ["SPPS_HOME"] = Path.Combine(work, "oe-home") };
        var cmEnv = new Dictionary<string, string?>(env) { ["SPPS_HOME"] = Path.Combine(work, "cm-home") };
        Run.Start(spps, ["jdc", "create", "--design", "hello_world_sb", "--device", "M2S090TS", "--fabric", "fabric.bin", "--envm-client", "MyClient1=client.hex", "-o", "hello_world_sb.jdc"], oe, oeEnv).ShouldSucceed();
        Run.Start(spps, ["script", "JobManager_Set_HSM_Parameters.tcl"], oe, oeEnv).ShouldSucceed();

        // Out of order: no keyset yet. The failed script removes the project it made, so it runs again once the keyset exists.
        var early = Run.Start(spps, ["script", "JobManager_Create_Project.tcl"], oe, oeEnv);
        Assert.Equal(1, early.ExitCode);
        Assert.Contains("error SPPS1001: Keyset MyKeySet.txt not found", early.Output);
        Assert.Contains("Removed the project folder", early.Output);
        Assert.False(Directory.Exists(Path.Combine(oe, "MyProject")));
        foreach (var step in new[] { "Create_Keyset", "Create_Project", "Create_HSM_Task", "Create_HSM_Job_Request" })
            Run.Start(spps, ["script", $"JobManager_{step}.tcl"], oe, oeEnv).ShouldSucceed();
        BigBitstreamShowsProgress(spps, oe, oeEnv);
        Send("MyProgJobRequest.req", oe, cm);
        Run.Start(station, ["script", "FlashProExpress_Set_HSM_Parameters.tcl"], cm, cmEnv).ShouldSucceed();
        Run.Start(station, ["script", "FlashProExpress_Process_Job_Request.tcl"], cm, cmEnv).ShouldSucceed();
        Send("MyProgJobReply.rep", cm, oe);
        Run.Start(spps, ["script", "JobManager_Import_Job_Reply.tcl"], oe, oeEnv).ShouldSucceed();
        Run.Start(spps, ["script", "JobManager_Export_HSM_Task.tcl"], oe, oeEnv).ShouldSucceed();
        Send("MyProgJob.job", oe, cm);
        Run.Start(station, ["script", "FlashProExpress_Create_Job_Project.tcl"], cm, cmEnv).ShouldSucceed();
        Run.Start(station, ["sim", "create-boards", "--dir", "boards", "--count", "3"], cm, cmEnv).ShouldSucceed();

        // The installed station finds its simulator plugin inside the tool package and programs the boards.
        var program = Run.Start(station, ["script", "FlashProExpress_Run_Program.tcl", "--programmer", "sim:boards"], cm, cmEnv);
        Assert.Equal(4, program.ExitCode);
        var lines = program.Output.Split('\n');
        Assert.StartsWith("Running PROGRAM on 3 device(s) through sim", lines.First(l => l.StartsWith("Running ", StringComparison.Ordinal) || l.StartsWith('[')));
        Assert.Equal(3, lines.Count(l => ProgressLine().IsMatch(l)));
        Assert.Contains(lines, l => l.StartsWith("[3/3] ", StringComparison.Ordinal) && l.EndsWith("(2 passed, 1 failed)", StringComparison.Ordinal));
        Assert.Contains("PROGRAM: 2 of 3 device(s) passed, 1 failed.", program.Output);
        Assert.Matches(@"1 × SPPS4008 \(Overbuild\): board-00[123]\.json", program.Output);

        // script - reads the commands from standard input.
        var status = Run.Start(station, ["script", "-"], cm, cmEnv, "open_project -project {./MyProgJob/MyProgJob.pro}\nget_job_status\n").ShouldSucceed();
        Assert.Contains("Action: PROGRAM\nNumber of authorization codes left: 0", status.Output);
        // script - on a terminal is a console: each command runs as typed, an error does not end the session.
        var console = Run.Start("script", ["-qec", $"{station} script -", "/dev/null"], cm, cmEnv,
            "open_project -project {./MyProgJob/MyProgJob.pro}\nset_programming_action -action {BOGUS}\nget_job_status\nexit\n");
        Assert.Equal(0, console.ExitCode);
        var said = console.Output.Replace("\r", "", StringComparison.Ordinal);
        Assert.Contains("FlashPro Express (spps-station) console", said);
        Assert.Contains("<stdin>:2: error SPPS2005: -action must be PROGRAM, VERIFY, ERASE, DEVICE_INFO, READ_IDCODE or VERIFY_DIGEST, not 'BOGUS'.\n% get_job_status\nGetting job status", said);
        Assert.Contains("The 'get_job_status' command succeeded.\n% exit", said);

        // On a terminal (util-linux script gives it one): one live line with n/N and the counts, no per-board lines.
        Run.Start(station, ["set-programming-action", "--project", "MyProgJob/MyProgJob.pro", "--action", "VERIFY"], cm, cmEnv).ShouldSucceed();
        var live = Run.Start("script", ["-qec", $"{station} run-selected-actions --project MyProgJob/MyProgJob.pro --programmer sim:boards", "/dev/null"], cm, cmEnv);
        Assert.Contains("\u001b[", live.Output);
        Assert.Matches(@"VERIFY 3/3 · \S*[0-3] passed\S* · \S*[0-3] failed", live.Output);
        Assert.DoesNotMatch(@"\[[1-3]/3\] board-", live.Output);
        Assert.Contains("VERIFY: ", live.Output);

        var sim = Run.Start(station, ["sim", "inspect", "--dir", "boards"], cm, cmEnv).ShouldSucceed();
        Assert.Equal(2, sim.Output.Split('\n').Count(l => l.Contains("programmed", StringComparison.Ordinal)));
    }

    /// <summary>A 24 MiB fabric: plain quarter lines when not a terminal, one live bar on a terminal, nothing extra with --json.</summary>
    private static void BigBitstreamShowsProgress(string spps, string oe, Dictionary<string, string?> env)
    {
        var fabric = new byte[24 << 20];
        new Random(11).NextBytes(fabric);
        File.WriteAllBytes(Path.Combine(oe, "big.bin"), fabric);
        Run.Start(spps, ["jdc", "create", "--design", "big", "--device", "M2S090TS", "--fabric", "big.bin", "-o", "big.jdc"], oe, env).ShouldSucceed();
        Run.Start(spps, ["new-project", "--location", ".", "--name", "Big"], oe, env).ShouldSucceed();
        Run.Start(spps, ["new-prog-data", "--project", "Big/Big.jprj", "--data-name", "D", "--import-file", "big.jdc", "--keyset-file", "MyKeySet.txt"], oe, env).ShouldSucceed();
        string[] init(string name) => ["init-bitstream", "--project", "Big/Big.jprj", "--data-name", "D", "--bitstream-name", name, "--features", "FABRIC"];

        var plain = Run.Start(spps, init("Plain"), oe, env).ShouldSucceed();
        Assert.Equal(["init_bitstream Plain: 6 of 24 MiB (25%)", "init_bitstream Plain: 12 of 24 MiB (50%)", "init_bitstream Plain: 18 of 24 MiB (75%)", "init_bitstream Plain: 24 of 24 MiB (100%)"],
            plain.Output.Split('\n').Where(l => l.StartsWith("init_bitstream", StringComparison.Ordinal)));
        var live = Run.Start("script", ["-qec", $"{spps} {string.Join(' ', init("Live"))}", "/dev/null"], oe, env);
        Assert.Equal(0, live.ExitCode);
        Assert.Contains("init_bitstream Live: 24 of 24 MiB (100%)", live.Output);
        Assert.Contains("\u001b[", live.Output);
        var json = Run.Start(spps, [.. init("Json"), "--json"], oe, env).ShouldSucceed();
        Assert.Contains("\"ok\": true", json.Output);
        Assert.DoesNotContain("MiB", json.Output);
    }

    private static void Send(string file, string from, string to) => File.Copy(Path.Combine(from, file), Path.Combine(to, file), overwrite: true);

    [GeneratedRegex(@"^spps-station\.(.+)\.nupkg$")]
    private static partial Regex PackageVersion();

    [GeneratedRegex(@"^\[[1-3]/3\] board-00[1-3]\.json: ")]
    private static partial Regex ProgressLine();
}
