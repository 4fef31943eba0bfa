using System.Runtime.InteropServices;

namespace Spps.Core.IO;

/// <summary>
/// An exclusive advisory lock (flock) on a lock file, shared by every process on the machine.
/// The kernel releases it when the process dies, so a kill -9 never leaves it held.
/// </summary>
public sealed partial class FileLock : IDisposable
{
    private const int LockExclusive = 2;
    private const int LockUnlock = 8;
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    public static FileLock Acquire(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        if (!OperatingSystem.IsWindows())
        {
            var fd = (int)stream.SafeFileHandle.DangerousGetHandle();
            while (Flock(fd, LockExclusive) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != 4 /* EINTR */)
                {
                    stream.Dispose();
                    throw new IOException($"flock({path}) failed with errno {errno}");
                }
            }
        }
        return new FileLock(stream);
    }

    public void Dispose()
    {
        if (!OperatingSystem.IsWindows())
            _ = Flock((int)_stream.SafeFileHandle.DangerousGetHandle(), LockUnlock);
        _stream.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);
}
