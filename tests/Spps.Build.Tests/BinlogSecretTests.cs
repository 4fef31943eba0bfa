using System.IO.Compression;
using System.Text;

namespace Spps.Build.Tests;

/// <summary>
/// Secrets come from the environment and never reach a build log: a binlog of a build with a
/// passphrase-protected U-HSM holds no trace of the passphrase — while the same check finds it at once
/// when it is (wrongly) passed as a property, so the check can fail.
/// </summary>
[Collection(DotnetCollection.Name)]
public sealed class BinlogSecretTests(PackageFeed feed)
{
    [Fact]
    public void Binlog_of_a_build_holds_no_hsm_passphrase()
    {
        var marker = "spps-secret-" + Guid.NewGuid().ToString("N");
        var project = feed.NewProject("Secretive", new Dictionary<string, string?> { ["SPPS_HSM_PASSPHRASE"] = marker });
        var binlog = Path.Combine(project.Directory, "build.binlog");

        project.Build("-bl:" + binlog).ShouldSucceed();

        var store = File.ReadAllText(Path.Combine(project.Environment["SPPS_HOME"]!, "hsm", "spps-build", "hsm.json"));
        Assert.Contains("passphrase", store);
        Assert.True(File.Exists(project.KeptRequest));
        Assert.False(Contains(binlog, marker), "the HSM passphrase is in the binlog");
        foreach (var file in Directory.GetFiles(project.Directory, "*", SearchOption.AllDirectories))
            Assert.False(File.ReadAllText(file, Encoding.Latin1).Contains(marker, StringComparison.Ordinal), $"the HSM passphrase is in {file}");

        var leaky = Path.Combine(project.Directory, "leaky.binlog");
        project.Build("-bl:" + leaky, "-p:SomeoneTypedTheirPassphraseHere=" + marker).ShouldSucceed();
        Assert.True(Contains(leaky, marker), "the check cannot see a secret passed as a property, so it proves nothing");
    }

    /// <summary>A binlog is a gzip stream of records whose strings are UTF-8.</summary>
    private static bool Contains(string binlog, string marker)
    {
        using var gzip = new GZipStream(File.OpenRead(binlog), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray().AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker)) >= 0;
    }
}
