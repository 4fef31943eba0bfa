using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Spps.Core.IO;

/// <summary>fdatasync on a file handle, callable from any thread without touching a FileStream's state.</summary>
internal static partial class FileSync
{
    public static int DataSync(SafeFileHandle handle)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try { return FdataSync((int)handle.DangerousGetHandle()); }
        finally { if (added) handle.DangerousRelease(); }
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FdataSync(int fd);
}
