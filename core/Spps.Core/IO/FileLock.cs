using System.Runtime.InteropServices;

namespace Spps.Core.IO;

/// <summary>
/// An exclusive, blocking advisory lock (flock) on a lock file, shared by every process on the machine.
/// The kernel releases it when the process dies, so a kill -9 never leaves it held. The file is opened
/// with libc directly: a .NET FileStream takes its own non-blocking flock, which would collide with this one.
/// </summary>
public sealed partial class FileLock : IDisposable
{
    private const int LockExclusive = 2;
    private const int OpenReadWrite = 2;
    private const int OpenCreate = 0x40;
    private const int OpenCloseOnExec = 0x80000;
    private const int Interrupted = 4;
    private readonly int _fd;

    private FileLock(int fd) => _fd = fd;

    public static FileLock Acquire(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var fd = Open(path, OpenReadWrite | OpenCreate | OpenCloseOnExec, 0x180 /* 0600 */);
        if (fd < 0) throw new IOException($"Cannot open lock file {path} (errno {Marshal.GetLastPInvokeError()}).");
        while (Flock(fd, LockExclusive) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Interrupted) continue;
            Close(fd);
            throw new IOException($"Cannot lock {path} (errno {errno}).");
        }
        return new FileLock(fd);
    }

    public void Dispose() => Close(_fd); // closing the descriptor releases the flock

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
