using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Spps.Ui.Tests;

/// <summary>A production of 21 simulated boards on a 20-device ticket, run by an operator in the browser.</summary>
public sealed class ProgrammingWindowTests : IDisposable
{
    private readonly Production _site = new();
    private readonly UiServer _server;
    private readonly ChromeDriver _browser;

    public ProgrammingWindowTests()
    {
        _server = new UiServer(_site.Cm, _site.CmHome, "--programmer", "sim:boards");
        _browser = UiServer.Browser();
    }

    [Fact]
    public void Operator_programs_every_board_sees_the_over_limit_one_refused_exports_and_completes_the_job()
    {
        _browser.Navigate().GoToUrl(_server.Url + "/");
        Wait().Until(_ => Text("connection") == "live");
        _browser.FindElement(By.Id("project")).SendKeys(_site.ProjectFile);
        _browser.FindElement(By.Id("open")).Click();
        Wait().Until(_ => Text("job").StartsWith("Job MyProgJob", StringComparison.Ordinal));
        Assert.Equal("20", TicketLeft("MyTicket1"));

        _browser.FindElement(By.CssSelector("#action option[value='PROGRAM']")).Click();
        Assert.Equal("PROGRAM", _browser.FindElement(By.Id("action")).GetDomProperty("value"));
        Assert.True(_browser.FindElement(By.CssSelector("#programmers input[value='sim:boards']")).Selected);
        _browser.FindElement(By.Id("run")).Click();
        Wait(TimeSpan.FromMinutes(3)).Until(_ => Text("progress-text").EndsWith("finished", StringComparison.Ordinal));

        Assert.Equal($"PROGRAM {Production.Boards}/{Production.Boards} · {Production.MaxDevice} passed · 1 failed · finished", Text("progress-text"));
        var rows = _browser.FindElements(By.CssSelector("#devices tbody tr"));
        Assert.Equal(Production.Boards, rows.Count);
        Assert.Equal(Production.MaxDevice, rows.Count(r => r.GetAttribute("class") == "passed"));
        var refused = Assert.Single(rows, r => r.GetAttribute("class") == "failed");
        var words = refused.FindElement(By.CssSelector("td.result")).Text;
        Assert.StartsWith("Refused — SPPS4008 Overbuild: Ticket MyTicket1 has no authorization codes left (20 of 20 used)", words);
        Assert.All(rows.Where(r => r.GetAttribute("class") == "passed"), r => Assert.Contains("PROGRAM succeeded on device MyDevice", r.Text));
        Assert.Equal("0", TicketLeft("MyTicket1"));
        Assert.Contains("1 × SPPS4008 (Overbuild): board-", Text("log"));
        Screenshot("programming-window.png");

        _browser.FindElement(By.Id("export")).Click();
        Wait().Until(_ => Text("export-result").StartsWith("Exported the job status to", StringComparison.Ordinal));
        var status = Path.Combine(_site.Cm, "MyProgJob", "MyProgJobStatus");
        Assert.Equal($"Exported the job status to {status}", Text("export-result"));
        File.Copy(status, Path.Combine(_site.Oe, "MyJobStatus"));
        Assert.Contains("Job status is VALID.", Tool.Spps.Succeed(_site.Oe, _site.OeHome, "script", "JobManager_Check_Job_Status.tcl"));

        _browser.Navigate().GoToUrl(_server.Url + "/mhsm");
        Wait().Until(_ => _browser.FindElements(By.CssSelector("#refusals tbody tr")).Count == 1);
        Assert.Equal("10", Text("mhsm-uuid"));
        Assert.Equal(Production.MaxDevice.ToString(System.Globalization.CultureInfo.InvariantCulture), Text("mhsm-hour"));
        Assert.Matches("^[0-9,]+$", Text("mhsm-rate"));
        Wait().Until(_ => Text("mhsm-browsers") == "1"); // the programming window's event stream closes when the browser leaves it
        Assert.Equal("0", TicketLeft("MyTicket1"));
        Assert.Contains("SPPS4008 Overbuild", _browser.FindElement(By.CssSelector("#refusals tbody tr")).Text);
        Screenshot("mhsm-page.png");

        _browser.Navigate().GoToUrl(_server.Url + "/");
        Wait().Until(_ => Text("job").StartsWith("Job MyProgJob", StringComparison.Ordinal));
        _browser.FindElement(By.Id("terminate")).Click();
        _browser.FindElement(By.Id("complete")).Click();
        _browser.SwitchTo().Alert().Accept();
        Wait().Until(_ => Text("export-result").StartsWith("Completed the job", StringComparison.Ordinal));
        File.Copy(Path.Combine(_site.Cm, "MyProgJob", "MyProgJobStatusEnd"), Path.Combine(_site.Oe, "MyJobStatusEnd"));
        Assert.Contains("Job status is VALID.", Tool.Spps.Succeed(_site.Oe, _site.OeHome, "script", "JobManager_Check_Job_End_Status.tcl"));
    }

    private string Text(string id) => _browser.FindElement(By.Id(id)).Text;

    private string TicketLeft(string ticket) => _browser.FindElement(By.CssSelector($"#tickets tr[data-ticket='{ticket}'] td.left")).Text;

    private WebDriverWait Wait(TimeSpan? timeout = null)
    {
        var wait = new WebDriverWait(_browser, timeout ?? TimeSpan.FromSeconds(60));
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        return wait;
    }

    /// <summary>Into the test's output folder, and into SPPS_SCREENSHOTS_DIR when set (how docs/images/ is refreshed).</summary>
    private void Screenshot(string name)
    {
        var shot = _browser.GetScreenshot();
        shot.SaveAsFile(Path.Combine(AppContext.BaseDirectory, name));
        if (Environment.GetEnvironmentVariable("SPPS_SCREENSHOTS_DIR") is { Length: > 0 } dir) shot.SaveAsFile(Path.Combine(dir, name));
    }

    public void Dispose()
    {
        _browser.Quit();
        _browser.Dispose();
        _server.Dispose();
        _site.Dispose();
    }
}
