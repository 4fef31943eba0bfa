using Newtonsoft.Json.Linq;

namespace Spps.Build.Tests;

/// <summary>
/// The whole OE/CM round trip with the package as a user gets it: dotnet new spps-job, dotnet build (request),
/// the CM's spps-station (reply), dotnet build (job), programming simulated boards, and the status check target.
/// </summary>
[Collection(DotnetCollection.Name)]
public sealed class EndToEndTests(PackageFeed feed)
{
    [Fact]
    public void Build_makes_request_then_job_that_programs_boards_and_whose_end_status_verifies()
    {
        var project = feed.NewProject("MyBoard");
        var cm = new ManufacturerSite(feed);

        project.Build().ShouldSucceed();
        Assert.True(File.Exists(project.KeptRequest), "the request is kept beside the manifest, to be committed");
        Assert.Equal(File.ReadAllBytes(project.KeptRequest), File.ReadAllBytes(project.Output("MyBoard.req")));
        Assert.DoesNotContain(project.Outputs(), f => f.EndsWith(".job", StringComparison.Ordinal));

        cm.Station("set-hsm-params", "--hsm-server-name", "MHSM", "--m-hsm-uuid", "10").ShouldSucceed();
        cm.Station("process-job-request", "--request-file", project.Output("MyBoard.req"), "--reply-file", cm.PathOf("MyBoard.rep")).ShouldSucceed();

        var import = project.Build("-t:SppsImportReply", "-p:SppsReplyFile=" + cm.PathOf("MyBoard.rep")).ShouldSucceed();
        Assert.Contains("imported as", import.Output);
        Assert.True(File.Exists(project.Reply));

        project.Build().ShouldSucceed();
        var job = project.Output("MyBoard.job");
        var summary = JObject.Parse(File.ReadAllText(project.Output("MyBoard.json")));
        Assert.Equal("10", (string?)summary["m_hsm"]!["uuid"]);
        Assert.Equal(["PROGRAM", "VERIFY", "ERASE"], summary["tickets"]!.Select(t => (string)t["action"]!));
        Assert.All(summary["tickets"]!, t => Assert.Equal(2, (long)t["max_device"]!));
        Assert.DoesNotContain(project.Outputs(), f => f.EndsWith(".req", StringComparison.Ordinal));

        var jobWritten = File.GetLastWriteTimeUtc(job);
        var again = project.Build("-v:n").ShouldSucceed();
        Assert.Contains("Skipping target \"_SppsBuildJob\" because all output files are up-to-date", again.Output);
        Assert.DoesNotContain("Building job", again.Output);
        Assert.Equal(jobWritten, File.GetLastWriteTimeUtc(job));

        cm.Station("create-job-project", "--job-project-location", cm.Work, "--job-file", job).ShouldSucceed();
        cm.Station("sim", "create-boards", "--dir", "boards", "--count", "2").ShouldSucceed();
        cm.Station("set-programming-action", "--project", "MyBoard/MyBoard.pro", "--action", "PROGRAM").ShouldSucceed();
        var programmed = cm.Station("run-selected-actions", "--project", "MyBoard/MyBoard.pro", "--programmer", "sim:boards").ShouldSucceed();
        Assert.Contains("2 of 2 device(s) succeeded", programmed.Output);
        var end = cm.PathOf("MyJobStatusEnd");
        cm.Station("complete-prog-job", "--project", "MyBoard/MyBoard.pro", "--terminate", "--job-status-file", end).ShouldSucceed();

        var verified = project.Build("-t:SppsVerifyStatus", "-p:SppsJobStatusFile=" + end).ShouldSucceed();
        Assert.Contains("Job status is VALID", verified.Output);
        Assert.Contains("Certificates of Conformance: 2 valid, 0 invalid", verified.Output);

        var tampered = cm.PathOf("MyJobStatusEnd-tampered");
        File.WriteAllBytes(tampered, FlipLastMac(File.ReadAllBytes(end)));
        var refused = project.Build("-t:SppsVerifyStatus", "-p:SppsJobStatusFile=" + tampered).ShouldFail();
        Assert.Matches(@"MyJobStatusEnd-tampered(\(\d+,\d+\))? ?: error SPPS4001: ", refused.Output);

        // A clean checkout (no obj/, no bin/, no site settings but the U-HSM) still exports: the kept request is adopted.
        Directory.Delete(Path.Combine(project.Directory, "obj"), recursive: true);
        Directory.Delete(Path.Combine(project.Directory, "bin"), recursive: true);
        project.Build().ShouldSucceed();
        var reexported = JObject.Parse(File.ReadAllText(project.Output("MyBoard.json")));
        Assert.Equal((string?)summary["request_digest"], (string?)reexported["request_digest"]);
        Assert.Equal(summary["tickets"]!.Select(t => (string)t["ticket_id"]!), reexported["tickets"]!.Select(t => (string)t["ticket_id"]!));

        // The reply answers the request as sent: raising a limit afterwards needs a new handshake, and says so.
        File.WriteAllText(project.Manifest, File.ReadAllText(project.Manifest).Replace("\"max_device\": 2", "\"max_device\": 3", StringComparison.Ordinal));
        var changed = project.Build().ShouldFail();
        Assert.Matches(@"MyBoard\.json\(\d+,\d+\): error SPPS6021: .*other tickets", changed.Output);
    }

    /// <summary>Changes one hex digit of the last "mac" in the file (a CoC or end certifier), as a forger would.</summary>
    private static byte[] FlipLastMac(byte[] bytes)
    {
        var text = System.Text.Encoding.Latin1.GetString(bytes);
        var match = System.Text.RegularExpressions.Regex.Matches(text, "\"mac\":\\s*\"").Last();
        var at = match.Index + match.Length;
        Assert.True(at > 10, "the status has a MAC to tamper with");
        bytes[at] = (byte)(bytes[at] == (byte)'0' ? '1' : '0');
        return bytes;
    }
}
