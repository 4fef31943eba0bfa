using System.Collections.Concurrent;

namespace Spps.Core.IO;

/// <summary>
/// Reads another stream on a background thread, a few blocks ahead of the consumer, so that reading
/// and checking the input (I/O, SHA-256) overlaps with what the consumer does (AES-GCM, hashing,
/// writing). Memory is bounded: <c>depth</c> blocks. An exception on the reader surfaces on Read.
/// </summary>
public sealed class ReadAheadStream : ReadOnlyStream
{
    private const int BlockSize = 1 << 20;
    private readonly BlockingCollection<(byte[] Buffer, int Length)> _full;
    private readonly BlockingCollection<byte[]> _empty;
    private readonly Thread _reader;
    private readonly CancellationTokenSource _stop = new();
    private Exception? _failure;
    private byte[]? _current;
    private int _currentLength;
    private int _currentOffset;
    private bool _ended;

    public ReadAheadStream(Stream inner, int depth = 4)
    {
        _full = new BlockingCollection<(byte[], int)>(depth);
        _empty = new BlockingCollection<byte[]>(depth + 1);
        for (var i = 0; i < depth + 1; i++) _empty.Add(new byte[BlockSize]);
        _reader = new Thread(() => Fill(inner)) { IsBackground = true, Name = "spps-read-ahead" };
        _reader.Start();
    }

    private void Fill(Stream inner)
    {
        try
        {
            while (true)
            {
                var buffer = _empty.Take(_stop.Token);
                var n = inner.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                _full.Add((buffer, n), _stop.Token);
                if (n < buffer.Length) break;
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            _failure = e;
        }
        finally
        {
            _full.CompleteAdding();
        }
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0) return 0;
        while (_current is null || _currentOffset == _currentLength)
        {
            if (_current is not null) _empty.Add(_current);
            _current = null;
            if (_ended) return 0;
            if (!_full.TryTake(out var block, Timeout.Infinite))
            {
                _ended = true;
                if (_failure is not null) throw _failure;
                return 0;
            }
            (_current, _currentLength, _currentOffset) = (block.Buffer, block.Length, 0);
        }
        var n = Math.Min(buffer.Length, _currentLength - _currentOffset);
        _current.AsSpan(_currentOffset, n).CopyTo(buffer);
        _currentOffset += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stop.Cancel();
            _reader.Join();
            _full.Dispose();
            _empty.Dispose();
            _stop.Dispose();
        }
        base.Dispose(disposing);
    }
}
