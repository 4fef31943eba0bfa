using System.Runtime.InteropServices;

namespace Spps.Core.IO;

/// <summary>
/// fsync on a folder, so that a rename into it (or a file created in it) survives a power loss: the rename
/// is a change to the folder, and only the folder's fsync makes it durable. .NET has no API for it.
/// </summary>
internal static partial class DirectorySync
{
    private const int OpenReadOnly = 0;
    private const int OpenCloseOnExec = 0x80000;
    private const int Interrupted = 4;
    private const int InvalidArgument = 22; // the file system cannot sync folders (some FUSE and network file systems): nothing to do
    private const int NotSupported = 95;

    public static void Sync(string directory)
    {
        if (OperatingSystem.IsWindows()) return; // NTFS journals renames; there is no folder handle to flush
        var fd = Open(directory, OpenReadOnly | OpenCloseOnExec);
        if (fd < 0) throw new IOException($"Cannot open folder {directory} to make it durable (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            while (Fsync(fd) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Interrupted) continue;
                if (errno is InvalidArgument or NotSupported) return;
                throw new IOException($"Cannot make folder {directory} durable (fsync errno {errno}).");
            }
        }
        finally
        {
            Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
