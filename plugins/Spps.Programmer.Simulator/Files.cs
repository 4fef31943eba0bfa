namespace Spps.Programmer.Simulator;

internal static class Files
{
    public static void WriteAtomically(string path, ReadOnlySpan<byte> content, bool secret = false)
    {
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (secret && !OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    public static void WriteSecret(string path, ReadOnlySpan<byte> content) => WriteAtomically(path, content, secret: true);
}
