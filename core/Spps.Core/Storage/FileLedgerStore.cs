using System.Text;
using Spps.Core.IO;

namespace Spps.Core.Storage;

/// <summary>
/// The embedded ledger store: DIR/ledger.jsonl, one JSON record per line, appended under an flock on
/// DIR/ledger.lock that every process on the machine shares. fdatasync makes it durable; concurrent
/// fdatasyncs of several processes share one journal commit.
/// </summary>
public sealed class FileLedgerStore : ILedgerStore
{
    public const string FileName = "ledger.jsonl";
    private readonly string _lockPath;
    private readonly FileStream _file;
    private long _readOffset; // byte offset just after record _readSeq
    private long _readSeq;

    public FileLedgerStore(string directory)
    {
        Directory.CreateDirectory(directory);
        Location = Path.Combine(directory, FileName);
        _lockPath = Path.Combine(directory, "ledger.lock");
        _file = new FileStream(Location, AtomicFile.AppendOptions(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1)); // 0640 at most, whatever the umask
    }

    public string Location { get; }

    public ILedgerTransaction Begin() => new Scope(this, FileLock.Acquire(_lockPath));

    /// <summary>fdatasync: everything written so far, by any process, is on disk when this returns.</summary>
    public void MakeDurable()
    {
        if (OperatingSystem.IsWindows()) { _file.Flush(flushToDisk: true); return; }
        if (FileSync.DataSync(_file.SafeFileHandle) != 0)
            throw new IOException($"fdatasync of {Location} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}): the ledger cannot be made durable.");
    }

    /// <summary>DIR/certifiers/TICKET.json, written atomically (fsync'd); an existing one is kept.</summary>
    public void SaveCertifier(string ticket, string json)
    {
        var path = CertifierPath(ticket);
        if (!File.Exists(path)) AtomicFile.WriteAllText(path, json);
    }

    public string? ReadCertifier(string ticket)
    {
        var path = CertifierPath(ticket);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    /// <summary>Where the file store keeps a ticket's end certifier (the path error messages name).</summary>
    public static string CertifierPath(string directory, string ticket) => Path.Combine(directory, "certifiers", ticket + ".json");

    private string CertifierPath(string ticket) => CertifierPath(Path.GetDirectoryName(Location)!, ticket);

    public void Dispose() => _file.Dispose();

    private List<string> ReadAfter(long seq)
    {
        if (seq != _readSeq) { _readOffset = 0; _readSeq = 0; } // the reader starts over (e.g. after a failed scope)
        var lines = new List<string>();
        var length = _file.Length;
        if (length > _readOffset)
        {
            _file.Seek(_readOffset, SeekOrigin.Begin);
            var buffer = new byte[length - _readOffset];
            _file.ReadExactly(buffer);
            var start = 0;
            for (var i = 0; i < buffer.Length; i++)
            {
                if (buffer[i] != (byte)'\n') continue;
                lines.Add(Encoding.UTF8.GetString(buffer, start, i - start));
                start = i + 1;
            }
            if (start < buffer.Length)
            {
                // A record without its newline was being written when its process died; it was never
                // acknowledged (the fsync had not returned), so no code left for it. Drop it.
                _file.SetLength(_readOffset + start);
                _file.Flush(flushToDisk: true);
            }
            _readOffset += start;
        }
        var skip = (int)(seq - _readSeq);
        _readSeq += lines.Count;
        return skip > 0 ? lines.Skip(skip).ToList() : lines;
    }

    private void Append(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        _file.Seek(0, SeekOrigin.End);
        _file.Write(bytes);
        _readOffset = _file.Position;
        _readSeq++;
    }

    private sealed class Scope(FileLedgerStore store, FileLock gate) : ILedgerTransaction
    {
        public IEnumerable<string> ReadAfter(long seq) => store.ReadAfter(seq);
        public void Append(long seq, string ticket, string? device, string line) => store.Append(line);
        public void Commit() { }
        public void Dispose() => gate.Dispose();
    }
}
