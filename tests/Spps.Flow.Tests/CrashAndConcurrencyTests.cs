using System.Diagnostics;
using Newtonsoft.Json.Linq;

namespace Spps.Flow.Tests;

/// <summary>The overbuild limit holds with several stations at once and across kill -9 at any moment.</summary>
public sealed class CrashAndConcurrencyTests
{
    private static Tutorial ProgramJob(int maxDevice)
    {
        var t = new Tutorial();
        t.RunUntilJobLoaded(beforeProject: () =>
        {
            var task = t.Oe.PathOf("JobManager_Create_HSM_Task.tcl");
            File.WriteAllText(task, File.ReadAllText(task).Replace("-actions {PROGRAM}\\\n-max_device {2}", $"-actions {{PROGRAM}}\\\n-max_device {{{maxDevice}}}"));
        });
        return t;
    }

    private static HashSet<string> LedgerDevices(Tutorial t)
    {
        var ledger = Directory.GetFiles(Path.Combine(t.Cm.Home, "mhsm"), "ledger.jsonl", SearchOption.AllDirectories).Single();
        return File.ReadAllLines(ledger).Where(l => l.Length > 0).Select(JObject.Parse)
            .Where(r => (string)r["type"]! == "issue").Select(r => (string)r["data"]!["dsn"]!).ToHashSet();
    }

    private static HashSet<string> Programmed(Site cm, string dir) =>
        cm.Boards(dir).Where(b => (string)b["state"]! == "programmed").Select(b => (string)b["dsn"]!).ToHashSet();

    [Fact]
    public void Stations_sharing_one_M_HSM_never_overbuild()
    {
        using var t = ProgramJob(maxDevice: 7);
        var dirs = Enumerable.Range(0, 4).Select(_ => t.NewBoards(3)).ToList();
        t.Cm.Station("set-programming-action", "--project", Tutorial.JobProject, "--action", "PROGRAM").ShouldSucceed();
        var stations = dirs.Select(d => t.Cm.Start("spps-station", "run-selected-actions", "--project", Tutorial.JobProject, "--programmer", "sim:" + d)).ToList();
        foreach (var s in stations) { s.StandardOutput.ReadToEnd(); s.StandardError.ReadToEnd(); s.WaitForExit(); }

        var programmed = dirs.SelectMany(d => Programmed(t.Cm, d)).ToHashSet();
        Assert.Equal(7, programmed.Count);
        Assert.Equal(programmed, LedgerDevices(t));
        Assert.Equal(0, t.CodesLeft()["PROGRAM"]);
        Assert.Contains(stations, s => s.ExitCode == 4); // the stations that met the limit say so
    }

    [Fact]
    public async Task Kill_9_during_issuance_never_loses_count()
    {
        const int max = 5;
        using var t = ProgramJob(max);
        var boards = t.NewBoards(8);
        t.Cm.Station("set-programming-action", "--project", Tutorial.JobProject, "--action", "PROGRAM").ShouldSucceed();
        var random = new Random(20261125);
        var ledger = Path.Combine(t.Cm.Home, "mhsm", "10", "ledger.jsonl");
        var killed = 0;
        for (var round = 0; round < 12; round++)
        {
            var before = new FileInfo(ledger).Length;
            var station = t.Cm.Start("spps-station", "run-selected-actions", "--project", Tutorial.JobProject, "--programmer", "sim:" + boards, "--parallel", "2");
            var stdout = station.StandardOutput.ReadToEndAsync();
            var stderr = station.StandardError.ReadToEndAsync();
            if (round % 2 == 0)
            {
                // Right after a record became durable: the window between counting a code and using it.
                var deadline = DateTime.UtcNow.AddSeconds(20);
                while (!station.HasExited && new FileInfo(ledger).Length == before && DateTime.UtcNow < deadline) await Task.Delay(1);
                await Task.Delay(random.Next(0, 15));
            }
            else
            {
                await Task.Delay(random.Next(200, 900));
            }
            if (!station.HasExited) { station.Kill(); killed++; } // SIGKILL on Linux: no cleanup runs
            await station.WaitForExitAsync();
            await Task.WhenAll(stdout, stderr);

            var issued = LedgerDevices(t);
            var programmed = Programmed(t.Cm, boards);
            Assert.True(issued.Count <= max, $"round {round}: {issued.Count} codes issued for max_device {max}");
            Assert.True(programmed.IsSubsetOf(issued), $"round {round}: a board is programmed without a ledger record");
        }
        Assert.True(killed >= 3, $"only {killed} of 12 runs were killed mid-way; the test did not exercise crashes");

        // After the crashes, a normal run finishes the job: the boards that got codes are retried without new counts.
        t.Run(boards, "PROGRAM").ShouldFail(4, "SPPS4008");
        var final = Programmed(t.Cm, boards);
        Assert.Equal(max, final.Count);
        Assert.Equal(final, LedgerDevices(t));
        Assert.Equal(0, t.CodesLeft()["PROGRAM"]);
        Assert.Equal(3, t.Cm.Boards(boards).Count(b => (string)b["state"]! == "blank"));
    }

    [Fact]
    public async Task Stations_use_the_M_HSM_service_and_fall_back_when_it_dies()
    {
        using var t = ProgramJob(maxDevice: 9);
        var service = t.Cm.Start("spps-station", "mhsm", "serve");
        try
        {
            var ready = await service.StandardOutput.ReadLineAsync();
            Assert.Contains("serving authorization codes", ready);
            var dirs = Enumerable.Range(0, 4).Select(_ => t.NewBoards(2)).ToList();
            t.Cm.Station("set-programming-action", "--project", Tutorial.JobProject, "--action", "PROGRAM").ShouldSucceed();
            var stations = dirs.Select(d => t.Cm.Start("spps-station", "run-selected-actions", "--project", Tutorial.JobProject, "--programmer", "sim:" + d)).ToList();
            var outputs = await Task.WhenAll(stations.Select(s => s.StandardOutput.ReadToEndAsync()));
            foreach (var s in stations) { await s.StandardError.ReadToEndAsync(); await s.WaitForExitAsync(); }
            Assert.All(stations, s => Assert.Equal(0, s.ExitCode));
            Assert.All(outputs, o => Assert.Contains("authorization codes from the M-HSM service", o));
            Assert.Equal(8, dirs.SelectMany(d => Programmed(t.Cm, d)).Count());

            service.Kill(); // SIGKILL: the socket file stays behind
            await service.WaitForExitAsync();
            var more = t.NewBoards(3);
            var fallback = t.Run(more, "PROGRAM");
            fallback.ShouldFail(4, "SPPS4008");
            Assert.Contains("in this process", fallback.Stdout);
            Assert.Single(Programmed(t.Cm, more));
            Assert.Equal(9, LedgerDevices(t).Count);
            Assert.Equal(0, t.CodesLeft()["PROGRAM"]);
        }
        finally
        {
            if (!service.HasExited) service.Kill();
        }
    }

    [Fact]
    public void A_job_load_interrupted_before_its_project_was_written_is_finished_in_place_only()
    {
        using var t = ProgramJob(maxDevice: 2);
        t.CmScript("FlashProExpress_Run_Program", t.NewBoards(1)).ShouldSucceed();
        // As if create_job_project had died after loading the tickets, before writing the project.
        Directory.Delete(t.Cm.PathOf("MyProgJob"), recursive: true);

        t.Cm.Station("create-job-project", "--job-project-location", "elsewhere", "--job-file", "MyProgJob.job").ShouldFail(4, "SPPS4006");
        var again = t.CmScript("FlashProExpress_Create_Job_Project").ShouldSucceed();
        Assert.Contains("re-creating it; the counters are unchanged", again.Stdout);
        Assert.Equal(1, t.CodesLeft()["PROGRAM"]);
    }
}

