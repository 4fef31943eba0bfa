namespace Spps.Flow.Tests;

/// <summary>The OE's project holds the design only encrypted, unless the user asks to keep the plaintext (issue 8, item 8).</summary>
public sealed class PlaintextTests
{
    /// <summary>True when any file under the folder contains the needle.</summary>
    private static bool AnyFileHolds(string folder, byte[] needle) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Any(f => File.ReadAllBytes(f).AsSpan().IndexOf(needle) >= 0);

    private static Tutorial UntilBitstream(string? newProgDataOption = null)
    {
        var t = new Tutorial();
        t.OeScript("JobManager_Set_HSM_Parameters").ShouldSucceed();
        t.OeScript("JobManager_Create_Keyset").ShouldSucceed();
        t.MakeJdc(fabricBytes: 4096);
        if (newProgDataOption is not null)
        {
            var script = t.Oe.PathOf("JobManager_Create_Project.tcl");
            File.WriteAllText(script, File.ReadAllText(script).Replace("-keyset_file {MyKeySet.txt}", "-keyset_file {MyKeySet.txt} " + newProgDataOption));
        }
        t.OeScript("JobManager_Create_Project").ShouldSucceed();
        return t;
    }

    [Fact]
    public void The_tutorial_project_holds_no_plaintext_design()
    {
        using var t = UntilBitstream();
        var fabric = File.ReadAllBytes(t.Oe.PathOf("fabric.bin"))[..64];

        Assert.False(AnyFileHolds(t.Oe.PathOf("MyProject"), fabric), "the plaintext fabric is in the project");
        Assert.True(File.Exists(t.Oe.PathOf("hello_world_sb.jdc")), "the designer's JDC stays where it was");
    }

    [Fact]
    public void Keep_plaintext_copies_the_JDC_owner_only_and_says_so()
    {
        using var t = UntilBitstream("-keep_plaintext");
        var fabric = File.ReadAllBytes(t.Oe.PathOf("fabric.bin"))[..64];

        Assert.True(AnyFileHolds(t.Oe.PathOf("MyProject"), fabric));
        var copy = Directory.GetFiles(t.Oe.PathOf("MyProject"), "*.jdc", SearchOption.AllDirectories).Single();
        if (!OperatingSystem.IsWindows()) Assert.Equal(0, (int)(File.GetUnixFileMode(copy) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)));
    }

    [Fact]
    public void Link_and_keep_plaintext_exclude_each_other()
    {
        using var t = UntilBitstream();
        var run = t.Oe.Spps("new-prog-data", "--project", "MyProject/MyProject.jprj", "--data-name", "D2", "--import-file", "hello_world_sb.jdc",
            "--keyset-file", "MyKeySet.txt", "--link", "--keep-plaintext");
        run.ShouldFail(2, "SPPS2005");
    }
}
