using Spps.Core.Commands;

namespace Spps.Core.Tests;

public sealed class CommandSetTests : IDisposable
{
    private readonly CommandSessions _sessions = new();

    public void Dispose() => _sessions.Dispose();

    private CommandSet Tool(string tool) => tool == "jm" ? _sessions.JobManager : _sessions.FlashPro;

    private static ScriptCommand Single(string script) => Assert.Single(TclScript.Parse(script, "opts.tcl"));

    private static string Render(Dictionary<string, string?> options) =>
        string.Join(" ", options.Select(o => o.Value is null ? $"-{o.Key}" : $"-{o.Key}={o.Value}"));

    [Theory]
    [InlineData("jm", "init_bitstream -data_name {D} -bitstream_name {B} -generate_coc -auth_keymode {KFPE}", "-data_name=D -bitstream_name=B -generate_coc -auth_keymode=KFPE")]
    [InlineData("jm", "init_bitstream -generate_coc -data_name {D} -bitstream_name {B}", "-generate_coc -data_name=D -bitstream_name=B")]
    [InlineData("jm", "init_bitstream -data_name {D} -bitstream_name {B} -generate_coc", "-data_name=D -bitstream_name=B -generate_coc")]
    [InlineData("jm", "init_bitstream -data_name {D} -bitstream_name {B} -generate_coc {FALSE}", "-data_name=D -bitstream_name=B -generate_coc=FALSE")]
    [InlineData("fp", "complete_prog_job -terminate -job_status_file {./MyJobStatusEnd}", "-terminate -job_status_file=./MyJobStatusEnd")]
    [InlineData("fp", "complete_prog_job -job_status_file {./end} -terminate", "-job_status_file=./end -terminate")]
    [InlineData("fp", "create_job_project -job_project_location {./} -job_file {a.job} -overwrite 0", "-job_project_location=./ -job_file=a.job -overwrite=0")]
    [InlineData("jm", "new_hsmtask_ticket -job_name J -hsmtask_name T -ticket_name K -device_name D -actions PROGRAM -max_device -1", "-job_name=J -hsmtask_name=T -ticket_name=K -device_name=D -actions=PROGRAM -max_device=-1")]
    [InlineData("jm", "new_project -location {./with space/} -name {-x}", "-location=./with space/ -name=-x")]
    [InlineData("fp", "run_selected_actions", "")]
    public void Options_follow_the_command_s_spec(string tool, string script, string expected)
    {
        Assert.Equal(expected, Render(Tool(tool).ParseOptions(Single(script))));
    }

    [Theory]
    [InlineData("jm", "new_project -location {./} -nmae {MyProject}", 1, "-nmae")]
    [InlineData("jm", "init_bitstream -data_name {D} \\\n  -bitstream_name {B} \\\n  -generate-coc", 3, "-generate-coc")]
    [InlineData("fp", "complete_prog_job \\\n -terminate \\\n -job_status {x}", 3, "-job_status")]
    [InlineData("fp", "set_hsm_params -hsm_server_name {S} -m_hsm_uuid {10} -u_hsm_uuid {1}", 1, "-u_hsm_uuid")]
    public void Unknown_options_are_SPPS2003_at_their_line(string tool, string script, int line, string option)
    {
        var e = Assert.Throws<SppsException>(() => Tool(tool).ParseOptions(Single(script)));

        Assert.Equal(ErrorCodes.UnknownOption, e.Code);
        Assert.Equal(new SourceLocation("opts.tcl", line), e.Location);
        Assert.Contains(option, e.Message);
    }

    [Theory]
    [InlineData("jm", "open_project -project", 1, "-project")]
    [InlineData("jm", "new_project -location {./} \\\n  -name", 2, "-name")]
    [InlineData("fp", "get_job_status \\\n\\\n -job_status_file", 3, "-job_status_file")]
    public void An_option_without_its_value_is_SPPS2004_at_its_line(string tool, string script, int line, string option)
    {
        var e = Assert.Throws<SppsException>(() => Tool(tool).ParseOptions(Single(script)));

        Assert.Equal(ErrorCodes.MissingOption, e.Code);
        Assert.Equal(new SourceLocation("opts.tcl", line), e.Location);
        Assert.Contains(option, e.Message);
    }

    [Theory]
    [InlineData("jm", "new_project -location {a} -location {b}")]
    [InlineData("jm", "new_project {a}")]
    [InlineData("jm", "new_project -location {a} {b}")]
    [InlineData("jm", "new_project -")]
    public void Repeated_options_and_stray_values_are_syntax_errors(string tool, string script)
    {
        var e = Assert.Throws<SppsException>(() => Tool(tool).ParseOptions(Single(script)));
        Assert.Equal(ErrorCodes.ScriptSyntax, e.Code);
        Assert.Equal(1, e.Location?.Line);
    }

    [Theory]
    [InlineData("jm", "complete_prog_job -terminate")]
    [InlineData("fp", "new_project -location x")]
    [InlineData("fp", "open_projet -project x")]
    public void Commands_of_the_other_tool_are_unknown(string tool, string script)
    {
        var e = Assert.Throws<SppsException>(() => Tool(tool).ParseOptions(Single(script)));
        Assert.Equal(ErrorCodes.UnknownCommand, e.Code);
        Assert.Equal(1, e.Location?.Line);
    }

    [Fact]
    public void Execute_refuses_a_missing_required_option_before_running()
    {
        var location = new SourceLocation("x.tcl", 7);
        var e = Assert.Throws<SppsException>(() =>
            _sessions.JobManager.Execute("new_project", new Dictionary<string, string?> { ["location"] = "./" }, location));

        Assert.Equal(ErrorCodes.MissingOption, e.Code);
        Assert.Equal(location, e.Location);
        Assert.Contains("-name", e.Message);
    }

    [Fact]
    public void Execute_refuses_an_unknown_option()
    {
        var e = Assert.Throws<SppsException>(() =>
            _sessions.FlashPro.Execute("save_log", new Dictionary<string, string?> { ["file"] = "x", ["fiel"] = "y" }, new SourceLocation("y.tcl", 2)));

        Assert.Equal(ErrorCodes.UnknownOption, e.Code);
        Assert.Equal(2, e.Location?.Line);
    }

    [Fact]
    public void Commands_that_need_a_project_say_so()
    {
        var e = Assert.Throws<SppsException>(() =>
            _sessions.JobManager.Execute("new_prog_job", new Dictionary<string, string?> { ["job_name"] = "J" }, new SourceLocation("p.tcl", 4)));

        Assert.Equal(ErrorCodes.NoProjectOpen, e.Code);
        Assert.Equal(4, e.Location?.Line);
    }
}
