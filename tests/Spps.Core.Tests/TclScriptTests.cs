using Spps.Core.Commands;

namespace Spps.Core.Tests;

public sealed class TclScriptTests : IDisposable
{
    private readonly CommandSessions _sessions = new();

    public void Dispose() => _sessions.Dispose();

    private static string TutorialPath(string script) => Path.Combine(AppContext.BaseDirectory, "tutorial", script);

    /// <summary>"LINE name -option=value -flag | …": what each command of a script does, by its spec.</summary>
    private static string Render(CommandSet set, IEnumerable<ScriptCommand> commands) =>
        string.Join(" | ", commands.Select(c =>
            string.Join(" ", new[] { $"{c.Location.Line} {c.Name}" }.Concat(
                set.ParseOptions(c).Select(o => o.Value is null ? $"-{o.Key}" : $"-{o.Key}={o.Value}")))));

    private static string Words(IEnumerable<ScriptCommand> commands) =>
        string.Join(" | ", commands.Select(c => string.Join(" ", new[] { c.Name }.Concat(c.Arguments.Select(a => $"<{a.Text}>")))));

    [Theory]
    [InlineData("oe/JobManager_Set_HSM_Parameters.tcl",
        "3 set_hsm_params -hsm_server_name=SJSOCPRGW7P1 -u_hsm_uuid=000000000000000000000000000001 -m_hsm_uuid=0000000000000000000000000000000000000000000000010 -u_master_hsm_uuid=000000000000000000000000000000000000000000000030 -hsm_keyset_dir=./KeySet")]
    [InlineData("oe/JobManager_Create_Keyset.tcl", "3 create_keyset -file=./KeySet/MyKeySet.txt")]
    [InlineData("oe/JobManager_Create_Project.tcl",
        "2 new_project -location=./ -name=MyProject" +
        " | 6 new_prog_data -data_name=MyProgData0 -import_file=./hello_world_sb.jdc -keyset_file=MyKeySet.txt" +
        " | 14 init_bitstream -data_name=MyProgData0 -bitstream_name=MyBistream -bitstream_type=MASTER -features=SECURITY -use_protocol=AUTH_CODE -generate_coc -auth_keymode=KFPE" +
        " | 18 new_prog_job -job_name=MyProgJob -job_type=FPExpress" +
        " | 19 add_microsemi_prog_device -job_name=MyProgJob -device_name=MyDevice -device_hw_location=1 -data_name=MyProgData0 -bitstream_name=MyBistream" +
        " | 22 close_project -save=TRUE")]
    [InlineData("oe/JobManager_Create_HSM_Task.tcl",
        "1 open_project -project=./MyProject/MyProject.jprj" +
        " | 6 add_hsmtask_to_job -job_name=MyProgJob -hsmtask_name=MyHSMTask" +
        " | 9 new_hsmtask_ticket -job_name=MyProgJob -hsmtask_name=MyHSMTask -ticket_name=MyTicket1 -device_name=MyDevice -actions=PROGRAM -max_device=2" +
        " | 11 new_hsmtask_ticket -job_name=MyProgJob -hsmtask_name=MyHSMTask -ticket_name=MyTicket2 -device_name=MyDevice -actions=VERIFY -max_device=2" +
        " | 13 new_hsmtask_ticket -job_name=MyProgJob -hsmtask_name=MyHSMTask -ticket_name=MyTicket3 -device_name=MyDevice -actions=ERASE -max_device=2" +
        " | 16 close_project -save=TRUE")]
    [InlineData("oe/JobManager_Create_HSM_Job_Request.tcl",
        "1 open_project -project=./MyProject/MyProject.jprj | 4 hsmtask_m_request -job_name=MyProgJob -hsmtask_name=MyHSMTask -request_file=./MyProgJobRequest.req | 7 close_project -save=TRUE")]
    [InlineData("oe/JobManager_Import_Job_Reply.tcl",
        "1 open_project -project=./MyProject/MyProject.jprj | 4 hsmtask_m_reply -job_name=MyProgJob -hsmtask_name=MyHSMTask -reply_file=./MyProgJobReply.rep | 6 close_project -save=TRUE")]
    [InlineData("oe/JobManager_Export_HSM_Task.tcl",
        "1 open_project -project=./MyProject/MyProject.jprj | 4 export_hsmtask -job_name=MyProgJob -hsmtask_name=MyHSMTask -location=./ -name=MyProgJob | 6 close_project -save=TRUE")]
    [InlineData("oe/JobManager_Check_Job_Status.tcl",
        "4 open_project -project=./MyProject/MyProject.jprj | 7 import_job_status -job_status_file=./MyJobStatus | 9 close_project -save=TRUE")]
    [InlineData("oe/JobManager_Check_Job_End_Status.tcl",
        "5 open_project -project=./MyProject/MyProject.jprj | 8 import_job_status -job_status_file=./MyJobStatusEnd | 11 close_project -save=TRUE")]
    [InlineData("cm/FlashProExpress_Set_HSM_Parameters.tcl",
        "3 set_hsm_params -hsm_server_name=SJSOCPRGW7E1 -m_hsm_uuid=0000000000000000000000000000000010 -hsm_type_u=FALSE -ftp_username=hsm -ftp_password=hsm")]
    [InlineData("cm/FlashProExpress_Process_Job_Request.tcl",
        "2 process_job_request -request_file=./MyProgJobRequest.req -reply_file=./MyProgJobReply.rep -overwrite_reply=TRUE | 3 save_log -file=./MyProgJobRequestResponse.log")]
    [InlineData("cm/FlashProExpress_Create_Job_Project.tcl",
        "4 create_job_project -job_project_location=./ -job_file=./MyProgJob.job -overwrite=0")]
    [InlineData("cm/FlashProExpress_Run_Program.tcl",
        "2 open_project -project=./MyProgJob/MyProgJob.pro | 3 set_programming_action -action=PROGRAM | 4 run_selected_actions")]
    [InlineData("cm/FlashProExpress_Export_Job_Status.tcl",
        "3 open_project -project=./MyProgJob/MyProgJob.pro | 4 get_job_status -job_status_file=./MyJobStatus")]
    [InlineData("cm/FlashProExpress_Complete_Job.tcl",
        "4 open_project -project=./MyProgJob/MyProgJob.pro | 5 complete_prog_job -terminate -job_status_file=./MyJobStatusEnd")]
    public void Tutorial_scripts_parse_into_their_commands_and_options(string script, string expected)
    {
        var path = TutorialPath(script);
        var commands = TclScript.Parse(File.ReadAllText(path), path);

        Assert.Equal(expected, Render(_sessions.For(script), commands));
        Assert.All(commands, c => Assert.Equal(path, c.Location.File));
    }

    [Theory]
    [InlineData("oe/JobManager_Create_HSM_Task.tcl")]
    [InlineData("oe/JobManager_Set_HSM_Parameters.tcl")]
    [InlineData("oe/JobManager_Create_Project.tcl")]
    [InlineData("cm/FlashProExpress_Create_Job_Project.tcl")]
    [InlineData("cm/FlashProExpress_Set_HSM_Parameters.tcl")]
    public void Tutorial_scripts_with_windows_line_endings_parse_the_same(string script)
    {
        var path = TutorialPath(script);
        var text = File.ReadAllText(path);
        var crlf = text.Replace("\r\n", "\n").Replace("\n", "\r\n");

        var set = _sessions.For(script);
        Assert.Equal(Render(set, TclScript.Parse(text, path)), Render(set, TclScript.Parse(crlf, path)));
    }

    [Theory]
    [InlineData("cmd a b c", "cmd <a> <b> <c>")]
    [InlineData("cmd {a b} c", "cmd <a b> <c>")]
    [InlineData("cmd {a {b c} d}", "cmd <a {b c} d>")]
    [InlineData("cmd {a {b {c}} {}}", "cmd <a {b {c}} {}>")]
    [InlineData("cmd {}", "cmd <>")]
    [InlineData("cmd {$x [y] \"z\"}", "cmd <$x [y] \"z\">")]
    [InlineData("cmd \"a b\" \"c{d}\"", "cmd <a b> <c{d}>")]
    [InlineData("cmd \"a\\tb\" \"q\\\"q\"", "cmd <a\tb> <q\"q>")]
    [InlineData("cmd a\\ b", "cmd <a b>")]
    [InlineData("a; b; c", "a | b | c")]
    [InlineData("a x;b y", "a <x> | b <y>")]
    [InlineData("a {x;y}", "a <x;y>")]
    [InlineData("a \"x;y\"", "a <x;y>")]
    [InlineData("\n\n   a\t\tb  \n\n", "a <b>")]
    [InlineData("# comment\na", "a")]
    [InlineData("a # not a comment", "a <#> <not> <a> <comment>")]
    [InlineData("a; # comment after a separator\nb", "a | b")]
    [InlineData("# comment continued \\\nstill comment\nb", "b")]
    [InlineData("    # indented comment\nb", "b")]
    [InlineData("a \\\n  b \\\n  c", "a <b> <c>")]
    [InlineData("a -x {PROGRAM}\\\n-y {2}", "a <-x> <PROGRAM> <-y> <2>")]
    [InlineData("a -x \"PROGRAM\"\\\n-y {2}", "a <-x> <PROGRAM> <-y> <2>")]
    [InlineData("a {x \\\n   y}", "a <x  y>")]
    [InlineData("a \"x \\\n   y\"", "a <x  y>")]
    [InlineData("a {x\ny}", "a <x\ny>")]
    [InlineData("a {x\\}y}", "a <x\\}y>")]
    public void Words_and_commands(string script, string expected)
    {
        Assert.Equal(expected, Words(TclScript.Parse(script, "t.tcl")));
    }

    [Theory]
    [InlineData("a {x \\\r\n   y}", "a <x  y>")]
    [InlineData("a \"x \\\r\n   y\"", "a <x  y>")]
    [InlineData("a -x {PROGRAM}\\\r\n-y {2}", "a <-x> <PROGRAM> <-y> <2>")]
    [InlineData("a \\\r\n  b", "a <b>")]
    [InlineData("# comment \\\r\nstill comment\r\nb", "b")]
    public void Continuations_with_windows_line_endings(string script, string expected)
    {
        Assert.Equal(expected, Words(TclScript.Parse(script, "t.tcl")));
    }

    [Fact]
    public void Commands_and_words_carry_their_lines()
    {
        var commands = TclScript.Parse("# c\n\nfirst -a {x\ny} \\\n  -b 2\nsecond; third\n", "s.tcl");

        Assert.Equal(["first", "second", "third"], commands.Select(c => c.Name));
        Assert.Equal([3, 6, 6], commands.Select(c => c.Location.Line));
        Assert.Equal([3, 3, 5, 5], commands[0].Arguments.Select(a => a.Line));
        Assert.Equal("s.tcl", commands[0].Location.File);
    }

    [Fact]
    public void Empty_and_comment_only_scripts_have_no_commands()
    {
        Assert.Empty(TclScript.Parse("", "e.tcl"));
        Assert.Empty(TclScript.Parse("# only\n   \n;;\n# comments\n", "e.tcl"));
    }

    [Theory]
    [InlineData("a {x", 1)]
    [InlineData("ok\nok\ncmd -a {x {y}\n\n", 3)]
    [InlineData("cmd -a {x\n\n", 1)]
    [InlineData("cmd \"abc\n\n", 1)]
    [InlineData("\n\ncmd -a \"abc", 3)]
    public void Missing_close_brace_or_quote_points_at_the_opening_line(string script, int line)
    {
        var e = Assert.Throws<SppsException>(() => TclScript.Parse(script, "m.tcl"));

        Assert.Equal(ErrorCodes.ScriptSyntax, e.Code);
        Assert.Equal(new SourceLocation("m.tcl", line), e.Location);
    }

    [Theory]
    [InlineData("cmd -a $x", 1)]
    [InlineData("ok\ncmd -a ${x}", 2)]
    [InlineData("ok\n\ncmd -a [pwd]", 3)]
    [InlineData("cmd -a \"$HOME/x\"", 1)]
    [InlineData("cmd -a \"a\n[b]\"", 2)]
    [InlineData("cmd -a x$y", 1)]
    [InlineData("cmd \\\n -a [list]", 2)]
    [InlineData("[cmd]", 1)]
    public void Variables_and_substitution_are_refused(string script, int line)
    {
        var e = Assert.Throws<SppsException>(() => TclScript.Parse(script, "v.tcl"));

        Assert.Equal(ErrorCodes.ScriptSyntax, e.Code);
        Assert.Equal(line, e.Location?.Line);
        Assert.Contains("not supported", e.Message);
    }

    [Theory]
    [InlineData("cmd -a {x}y", 1)]
    [InlineData("ok\ncmd -a {x}{y}", 2)]
    [InlineData("cmd -a \"x\"y", 1)]
    [InlineData("cmd -a {x\n}y", 2)]
    [InlineData("cmd -a {PROGRAM}\\x", 1)]
    [InlineData("cmd -a ab{c}", 1)]
    [InlineData("cmd -a ab\"c\"", 1)]
    public void Junk_after_a_close_brace_or_quote_is_refused(string script, int line)
    {
        var e = Assert.Throws<SppsException>(() => TclScript.Parse(script, "j.tcl"));

        Assert.Equal(ErrorCodes.ScriptSyntax, e.Code);
        Assert.Equal(line, e.Location?.Line);
    }
}
