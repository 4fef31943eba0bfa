namespace Spps.Core.IO;

/// <summary>
/// Writes files so that a reader (or a crash) sees either the old file or the complete new one:
/// temp file in the same folder, fsync, rename, fsync the folder. Every file it writes is one a site
/// relies on (settings, projects, certifiers, exchanged files), so it is created with at most
/// <see cref="DefaultMode"/> whatever the umask: never readable or writable by other users.
/// </summary>
public static class AtomicFile
{
    /// <summary>0640: the owner reads and writes, the owner's group reads, nobody else. The umask can only narrow it.</summary>
    public const UnixFileMode DefaultMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    /// <summary>0600: the owner alone.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Write(string path, Action<Stream> write, UnixFileMode mode = DefaultMode)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        try { Directory.CreateDirectory(directory); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SppsException(ErrorCodes.OutputNotWritable, $"Cannot create folder {directory}: {e.Message}");
        }
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1 << 16 };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        try
        {
            using (var stream = new FileStream(temp, options))
            {
                write(new EarlyWritebackStream(stream));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            DirectorySync.Sync(directory); // the rename is durable only once the folder is
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new SppsException(ErrorCodes.OutputNotWritable, $"Cannot write {full}: {e.Message}");
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes, UnixFileMode mode = DefaultMode)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy), mode);
    }

    public static void WriteAllText(string path, string text, UnixFileMode mode = DefaultMode) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text), mode);

    /// <summary>Options to open an append-only file (a ledger, a CoC log) that is created with at most <see cref="DefaultMode"/>.</summary>
    public static FileStreamOptions AppendOptions(FileMode fileMode, FileAccess access, FileShare share, int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = fileMode, Access = access, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = DefaultMode;
        return options;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
