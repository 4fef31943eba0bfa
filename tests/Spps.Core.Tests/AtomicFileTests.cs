using System.Runtime.InteropServices;
using Spps.Core.IO;

namespace Spps.Core.Tests;

public sealed partial class AtomicFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string[] Files() => Directory.GetFiles(_dir.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_dir.Path, f)).Order().ToArray();

    public static TheoryData<string> Failures() => new() { "before writing", "after some bytes", "after flushing" };

    private static void FailingWriter(Stream stream, string when)
    {
        if (when != "before writing") stream.Write(new byte[100_000]);
        if (when == "after flushing") stream.Flush();
        throw new InvalidOperationException("writer failed " + when);
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_failing_writer_leaves_no_target_and_no_temp_file(string when)
    {
        var target = _dir.File("out.job");

        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(target, s => FailingWriter(s, when)));

        Assert.Contains(when, e.Message);
        Assert.Empty(Files());
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_failing_writer_leaves_an_existing_target_untouched(string when)
    {
        var target = _dir.File("out.job");
        File.WriteAllText(target, "the old job");

        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(target, s => FailingWriter(s, when)));

        Assert.Equal("the old job", File.ReadAllText(target));
        Assert.Equal(["out.job"], Files());
    }

    [Fact]
    public void An_io_error_in_the_writer_is_reported_as_output_not_writable_and_cleaned_up()
    {
        var target = _dir.File("sub/out.rep");

        var e = Assert.Throws<SppsException>(() => AtomicFile.Write(target, s => { s.WriteByte(1); throw new IOException("No space left on device"); }));

        Assert.Equal(ErrorCodes.OutputNotWritable, e.Code);
        Assert.Contains("No space left", e.Message);
        Assert.Empty(Files());
    }

    [Fact]
    public void Success_replaces_the_target_and_leaves_no_temp_file()
    {
        var target = _dir.File("deep/er/out.bin");
        AtomicFile.WriteAllText(target, "first");
        AtomicFile.WriteAllBytes(target, [1, 2, 3]);

        Assert.Equal([1, 2, 3], File.ReadAllBytes(target));
        Assert.Equal([Path.Combine("deep", "er", "out.bin")], Files());
    }

    [Fact]
    public void A_folder_that_cannot_be_created_is_output_not_writable()
    {
        var blocker = _dir.File("file");
        File.WriteAllText(blocker, "x");

        var e = Assert.Throws<SppsException>(() => AtomicFile.WriteAllText(Path.Combine(blocker, "out.txt"), "y"));

        Assert.Equal(ErrorCodes.OutputNotWritable, e.Code);
        Assert.Equal("x", File.ReadAllText(blocker));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_file_is_created_0640_or_0600_as_asked()
    {
        var shared = _dir.File("settings.json");
        var secret = _dir.File("secret.json");

        AtomicFile.WriteAllText(shared, "{}");
        AtomicFile.WriteAllText(secret, "{}", AtomicFile.OwnerOnly);

        Assert.Equal(0, (int)(File.GetUnixFileMode(shared) & ~AtomicFile.DefaultMode)); // the umask may narrow it, never widen it
        Assert.Equal(0, (int)(File.GetUnixFileMode(secret) & ~AtomicFile.OwnerOnly));
        Assert.True(File.GetUnixFileMode(shared).HasFlag(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Fact]
    public void The_folder_is_made_durable_after_the_rename_and_a_folder_that_cannot_be_is_an_error()
    {
        var target = _dir.File("durable/out.bin");
        AtomicFile.WriteAllBytes(target, [1]); // includes the folder's fsync (the strace test in Spps.Flow.Tests watches it happen)
        Assert.Equal([1], File.ReadAllBytes(target));

        var e = Assert.Throws<IOException>(() => DirectorySync.Sync(_dir.File("missing-folder")));
        Assert.Contains("missing-folder", e.Message);
    }
}

/// <summary>Tests that change the process's umask run alone: the umask is per process.</summary>
[CollectionDefinition(nameof(ProcessUmask), DisableParallelization = true)]
public sealed class ProcessUmask;

[Collection(nameof(ProcessUmask))]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class AtomicFileUmaskTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(0x000)] // umask 000: a plain FileStream would make 0666
    [InlineData(0x012)] // umask 022, the usual default: 0644
    public void Files_that_matter_are_never_readable_by_others_whatever_the_umask(int umask)
    {
        var target = _dir.File("ledger-like.json");
        var coc = _dir.File("cocs.jsonl");
        var old = Umask(umask);
        try
        {
            AtomicFile.WriteAllText(target, "{}");
            using (var log = new FileStream(coc, AtomicFile.AppendOptions(FileMode.Append, FileAccess.Write, FileShare.ReadWrite))) log.WriteByte(1);
        }
        finally
        {
            Umask(old);
        }

        Assert.Equal(AtomicFile.DefaultMode, File.GetUnixFileMode(target));
        Assert.Equal(AtomicFile.DefaultMode, File.GetUnixFileMode(coc));
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial int Umask(int mask);
}
