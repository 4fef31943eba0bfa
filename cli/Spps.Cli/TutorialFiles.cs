using System.Security.Cryptography;
using System.Text;
using Spps.Core;
using Spps.Core.IO;

namespace Spps.Cli;

/// <summary>
/// What <c>spps tutorial init DIR</c> writes: the tutorial's Job Manager scripts and sample design inputs
/// into DIR/oe, its FlashPro Express scripts into DIR/cm (the two sites of TU0823). The scripts are the
/// files of templates/tutorial, embedded in this program, so they run as written from those folders.
/// </summary>
internal static class TutorialFiles
{
    private const string ResourcePrefix = "tutorial/";
    public const string FabricFile = "fabric.bin";
    public const string ClientFile = "client.hex";
    private const int FabricLength = 256 * 1024;

    /// <summary>Writes the files; an existing file is replaced only with <paramref name="overwrite"/>.</summary>
    public static IReadOnlyList<string> Write(string folder, bool overwrite)
    {
        var files = new List<(string Path, byte[] Content)>();
        var assembly = typeof(TutorialFiles).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files.Add((Path.Combine(folder, name[ResourcePrefix.Length..]), copy.ToArray()));
        }
        files.Add((Path.Combine(folder, "oe", FabricFile), SampleFabric()));
        files.Add((Path.Combine(folder, "oe", ClientFile), Encoding.ASCII.GetBytes(SampleClientHex())));
        var existing = files.Where(f => File.Exists(f.Path)).Select(f => f.Path).ToList();
        if (existing.Count > 0 && !overwrite)
            throw new SppsException(ErrorCodes.OptionNotAllowed,
                $"{existing[0]} already exists ({existing.Count} of the tutorial's files do): add --overwrite to write them again, or choose an empty folder.");
        foreach (var (path, content) in files) AtomicFile.Write(path, s => s.Write(content));
        return files.Select(f => f.Path).ToList();
    }

    /// <summary>A stand-in for the fabric programming data: 256 KiB of fixed pseudo-random bytes (SHA-256 in counter mode).</summary>
    private static byte[] SampleFabric()
    {
        var data = new byte[FabricLength];
        Span<byte> counter = stackalloc byte[4];
        for (var block = 0; block * 32 < data.Length; block++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(counter, block);
            SHA256.HashData(counter).CopyTo(data.AsSpan(block * 32));
        }
        return data;
    }

    /// <summary>The eNVM client MyClient1 of the tutorial's design: 16 bytes in Intel HEX.</summary>
    private static string SampleClientHex() => ":10000000000102030405060708090A0B0C0D0E0F78\n:00000001FF\n";
}
