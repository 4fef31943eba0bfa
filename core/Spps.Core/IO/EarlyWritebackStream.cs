using System.Runtime.InteropServices;

namespace Spps.Core.IO;

/// <summary>
/// Wraps a file being written and, every few MiB, asks the kernel to start writing those pages back
/// (sync_file_range, SYNC_FILE_RANGE_WRITE: asynchronous). The final fsync then has little left to wait
/// for, so a large durable write overlaps the disk with whatever produces the data. Linux only; elsewhere
/// a plain pass-through.
/// </summary>
public sealed partial class EarlyWritebackStream(FileStream inner) : Stream
{
    private const long Window = 8L << 20;
    private const int WriteOnly = 2; // SYNC_FILE_RANGE_WRITE
    private long _written;
    private long _kicked;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        _written += buffer.Length;
        if (_written - _kicked < Window || !OperatingSystem.IsLinux()) return;
        inner.Flush();
        _ = SyncFileRange(inner.SafeFileHandle, _kicked, _written - _kicked, WriteOnly); // advisory: failure only costs speed
        _kicked = _written;
    }

    public override void Flush() => inner.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _written;
    public override long Position { get => _written; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(SafeHandle fd, long offset, long nbytes, int flags);
}
