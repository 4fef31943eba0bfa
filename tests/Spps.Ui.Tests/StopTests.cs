using System.Diagnostics;
using Newtonsoft.Json.Linq;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;

namespace Spps.Ui.Tests;

/// <summary>
/// An operator stops a long production: STOP in the browser, Ctrl-C (SIGINT) at the console. The devices in
/// flight finish, the others are not started and use no code, nothing is half-programmed, and a second run
/// finishes the job. Each simulated device takes <see cref="ProgramMilliseconds"/> to program, as silicon
/// does, so a run of <see cref="Devices"/> lasts minutes unless it is stopped.
/// </summary>
public sealed class StopTests
{
    private const int Devices = 600;
    private const string ProgramMilliseconds = "1000";

    [Fact]
    public void STOP_in_the_browser_stops_the_run_and_spends_no_code_on_boards_not_started()
    {
        using var site = new Production(Devices);
        using var server = new UiServer(site.Cm, site.CmHome, new Dictionary<string, string> { ["SPPS_SIM_PROGRAM_MS"] = ProgramMilliseconds }, "--programmer", "sim:boards");
        using var browser = UiServer.Browser();
        try
        {
            string Text(string id) => browser.FindElement(By.Id(id)).Text;
            var wait = new WebDriverWait(browser, TimeSpan.FromSeconds(60)) { PollingInterval = TimeSpan.FromMilliseconds(20) };
            wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
            browser.Navigate().GoToUrl(server.Url + "/");
            wait.Until(_ => Text("connection") == "live");
            browser.FindElement(By.Id("project")).SendKeys(site.ProjectFile);
            browser.FindElement(By.Id("open")).Click();
            wait.Until(_ => Text("job").StartsWith("Job MyProgJob", StringComparison.Ordinal));
            browser.FindElement(By.CssSelector("#action option[value='PROGRAM']")).Click();
            browser.FindElement(By.Id("run")).Click();

            wait.Until(_ => browser.FindElements(By.CssSelector("#devices tbody tr.passed")).Count > 0);
            browser.FindElement(By.Id("stop")).Click();
            new WebDriverWait(browser, TimeSpan.FromMinutes(3)).Until(_ => Text("progress-text").EndsWith("· stopped", StringComparison.Ordinal));

            Assert.Contains("STOP pressed", Text("log"));
            Assert.Matches(@"Cancelled: \d+ device\(s\) were not started and used no code", Text("log"));
            var programmed = AssertStoppedCleanly(site);
            Assert.Matches($@"^PROGRAM \d+/{Devices + 1} · {programmed} passed · \d+ failed · stopped$", Text("progress-text"));
            Assert.Equal((Devices - programmed).ToString(System.Globalization.CultureInfo.InvariantCulture),
                browser.FindElement(By.CssSelector("#tickets tr[data-ticket='MyTicket1'] td.left")).Text);
        }
        finally
        {
            browser.Quit();
        }
    }

    [Fact]
    public async Task Ctrl_C_at_the_console_stops_the_run_with_exit_130_and_a_second_run_finishes_the_job()
    {
        using var site = new Production(Devices);
        Tool.Station.Succeed(site.Cm, site.CmHome, "set-programming-action", "--project", site.ProjectFile, "--action", "PROGRAM");
        var info = Tool.Station.Info(site.Cm, site.CmHome, ["run-selected-actions", "--project", site.ProjectFile, "--programmer", "sim:boards", "--parallel", "1"]);
        info.Environment["SPPS_SIM_PROGRAM_MS"] = ProgramMilliseconds;
        using var run = Process.Start(info)!;
        var firstBoard = new TaskCompletionSource();
        var output = new System.Text.StringBuilder();
        void Collect(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (e.Data.Contains("board-", StringComparison.Ordinal) && e.Data.StartsWith('[')) firstBoard.TrySetResult();
        }
        run.OutputDataReceived += Collect;
        run.ErrorDataReceived += Collect;
        run.BeginOutputReadLine();
        run.BeginErrorReadLine();
        await firstBoard.Task.WaitAsync(TimeSpan.FromMinutes(2));

        using (var kill = Process.Start("kill", ["-INT", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        Assert.True(run.WaitForExit(TimeSpan.FromMinutes(2)), "spps-station did not stop after SIGINT");
        run.WaitForExit();

        string all;
        lock (output) all = output.ToString();
        Assert.Equal(130, run.ExitCode);
        Assert.True(all.Contains("error SPPS2015", StringComparison.Ordinal), all[Math.Max(0, all.Length - 3000)..]);
        Assert.Matches(@"Cancelled: \d+ device\(s\) were not started and used no code", all);
        Assert.DoesNotContain("   at ", all); // no stack trace
        AssertStoppedCleanly(site);

        // The operator runs again: the rest are programmed (the ones done are skipped), then the job validates.
        var again = Tool.Station.Run(site.Cm, site.CmHome, "run-selected-actions", "--project", site.ProjectFile, "--programmer", "sim:boards");
        Assert.Contains("SPPS4008", again.Output); // the one board beyond max_device
        Assert.Equal(Devices, Boards(site).Count(b => (string)b["state"]! == "programmed"));
        Tool.Station.Succeed(site.Cm, site.CmHome, "complete-prog-job", "--project", site.ProjectFile, "--terminate", "--job-status-file", "MyJobStatusEnd");
        Production.Send("MyJobStatusEnd", site.Cm, site.Oe);
        Assert.Contains("Job status is VALID.", Tool.Spps.Succeed(site.Oe, site.OeHome, "script", "JobManager_Check_Job_End_Status.tcl"));
    }

    /// <summary>Some boards programmed, the rest blank (none in between), and exactly one code spent per programmed board.</summary>
    private static int AssertStoppedCleanly(Production site)
    {
        var boards = Boards(site);
        var programmed = boards.Count(b => (string)b["state"]! == "programmed");
        Assert.All(boards, b => Assert.Contains((string)b["state"]!, new[] { "programmed", "blank" }));
        Assert.InRange(programmed, 1, Devices - 1);
        var status = JObject.Parse(Tool.Station.Succeed(site.Cm, site.CmHome, "get-job-status", "--project", site.ProjectFile, "--json"));
        var ticket = ((JArray)status["data"]!["tickets"]!).Single(t => (string)t["action"]! == "PROGRAM");
        Assert.Equal(Devices - programmed, (long)ticket["left"]!);
        return programmed;
    }

    private static JArray Boards(Production site) =>
        JArray.Parse(Tool.Station.Succeed(site.Cm, site.CmHome, "sim", "inspect", "--dir", "boards", "--json"));
}
