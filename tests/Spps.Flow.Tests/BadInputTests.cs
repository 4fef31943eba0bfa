namespace Spps.Flow.Tests;

/// <summary>Bad input gets a stable code, the file:line of the input, no stack trace, and no half-written output.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly Site _oe;

    public BadInputTests() => _oe = new Site(_temp.Path, "oe");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("new_project -location {./} -name {P\n", 1, "SPPS2001")]
    [InlineData("# ok\nnew_project -location ./ -name P -colour blue\n", 2, "SPPS2003")]
    [InlineData("\n\nnew_projekt -location ./ -name P\n", 3, "SPPS2002")]
    [InlineData("new_project -location $HOME -name P\n", 1, "SPPS2001")]
    [InlineData("new_project -location ./\n", 1, "SPPS2004")]
    [InlineData("new_project -location ./ -name P\nnew_prog_job -job_name J -job_type {Other}\n", 2, "SPPS2005")]
    public void Script_errors_name_the_line(string script, int line, string code)
    {
        File.WriteAllText(_oe.PathOf("bad.tcl"), script);
        var run = _oe.Spps("script", "bad.tcl");
        Assert.True(run.ExitCode is 1 or 2, run.All);
        Assert.Contains($"bad.tcl:{line}: error {code}:", run.Stderr);
        Assert.DoesNotContain("   at ", run.All);
    }

    [Fact]
    public void A_failing_script_leaves_the_project_as_it_was()
    {
        File.WriteAllText(_oe.PathOf("make.tcl"), "new_project -location ./ -name P\nnew_prog_job -job_name J\nclose_project\n");
        _oe.Spps("script", "make.tcl").ShouldSucceed();
        var before = File.ReadAllText(_oe.PathOf("P/P.jprj"));
        File.WriteAllText(_oe.PathOf("change.tcl"), "open_project -project P/P.jprj\nnew_prog_job -job_name K\nnew_prog_job -job_name K\nclose_project\n");
        _oe.Spps("script", "change.tcl").ShouldFail(1, "SPPS2010");
        Assert.Equal(before, File.ReadAllText(_oe.PathOf("P/P.jprj")));
    }

    [Fact]
    public void Wrong_command_line_options_are_usage_errors()
    {
        var run = _oe.Spps("new-project", "--location", ".", "--nmae", "X");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("error SPPS2003:", run.Stderr);
        Assert.DoesNotContain("   at ", run.All);
    }

    [Theory]
    [InlineData("not an spps file at all\n", "SPPS1002", 1)]
    [InlineData("SPPS/1 job 10\n{}\n", "SPPS1003", 1)]
    [InlineData("SPPS/9 jdc 3\n{}\n", "SPPS1004", 1)]
    [InlineData("SPPS/1 jdc 35\n{\n  \"version\": 1,\n  \"design\" \"x\"\n}\n", "SPPS1005", 4)]
    [InlineData("SPPS/1 jdc 500\n{}\n", "SPPS1006", 2)]
    public void Malformed_files_are_refused_with_file_and_line(string content, string code, int line)
    {
        File.WriteAllText(_oe.PathOf("in.jdc"), content);
        File.WriteAllText(_oe.PathOf("p.tcl"), "new_project -location ./ -name P\nnew_prog_data -data_name D -import_file in.jdc -keyset_file k\n");
        _oe.Spps("set-hsm-params", "--hsm-server-name", "U", "--u-hsm-uuid", "1", "--m-hsm-uuid", "10", "--u-master-hsm-uuid", "30").ShouldSucceed();
        var run = _oe.Spps("script", "p.tcl");
        run.ShouldFail(1, code);
        Assert.Matches($@"in\.jdc:{line}(:\d+)?: error {code}:", run.Stderr);
    }

    [Fact]
    public void A_failed_write_leaves_no_partial_file()
    {
        var run = _oe.Spps("jdc", "create", "--design", "d", "--device", "M2S090TS", "--fabric", "missing.bin", "-o", "out.jdc");
        run.ShouldFail(1, "SPPS1001");
        Assert.Empty(Directory.GetFiles(_oe.Work));

        File.WriteAllText(_oe.PathOf("fabric.bin"), "fabric");
        File.WriteAllText(_oe.PathOf("bad.hex"), ":10000000000102030405060708090A0B0C0D0E0F00\n:00000001FF\n");
        run = _oe.Spps("jdc", "create", "--design", "d", "--device", "M2S090TS", "--fabric", "fabric.bin", "--envm-client", "C=bad.hex", "-o", "out.jdc");
        run.ShouldFail(1, "SPPS1010");
        Assert.Contains("bad.hex:1: error SPPS1010:", run.Stderr);
        Assert.Equal(["bad.hex", "fabric.bin"], Directory.GetFiles(_oe.Work).Select(f => Path.GetFileName(f)).Order().ToArray());
    }

    [Fact]
    public void Json_output_carries_the_error_code_and_location()
    {
        File.WriteAllText(_oe.PathOf("x.jdc"), "junk");
        var run = _oe.Spps("open-project", "--project", "nowhere.jprj", "--json");
        Assert.Equal(1, run.ExitCode);
        var doc = Newtonsoft.Json.Linq.JObject.Parse(run.Stdout);
        Assert.False((bool)doc["ok"]!);
        Assert.Equal("SPPS1001", (string)doc["error"]!["code"]!);
    }

    [Fact]
    public void A_linked_JDC_changed_after_import_is_refused_when_the_bitstream_is_made()
    {
        File.WriteAllBytes(_oe.PathOf("fabric.bin"), new byte[4096]);
        _oe.Spps("jdc", "create", "--design", "d", "--device", "M2S090TS", "--fabric", "fabric.bin", "-o", "d.jdc").ShouldSucceed();
        _oe.Spps("set-hsm-params", "--hsm-server-name", "U", "--u-hsm-uuid", "1", "--m-hsm-uuid", "10", "--u-master-hsm-uuid", "30").ShouldSucceed();
        File.WriteAllText(_oe.PathOf("p.tcl"), "create_keyset -file k\nnew_project -location ./ -name P\nnew_prog_data -data_name D -import_file d.jdc -keyset_file k -link\nclose_project\n");
        _oe.Spps("script", "p.tcl").ShouldSucceed();
        Assert.False(Directory.Exists(_oe.PathOf("P/data")) && File.Exists(_oe.PathOf("P/data/D.jdc")), "a linked JDC is not copied");

        var bytes = File.ReadAllBytes(_oe.PathOf("d.jdc"));
        bytes[^100] ^= 0xFF; // inside the fabric component
        File.WriteAllBytes(_oe.PathOf("d.jdc"), bytes);
        var run = _oe.Spps("init-bitstream", "--project", "P/P.jprj", "--data-name", "D", "--bitstream-name", "B", "--features", "FABRIC");
        run.ShouldFail(1, "SPPS1011");
        Assert.Contains("changed on disk since it was imported", run.Stderr);
        Assert.Empty(Directory.Exists(_oe.PathOf("P/bitstreams")) ? Directory.GetFiles(_oe.PathOf("P/bitstreams")) : []);
    }
}

