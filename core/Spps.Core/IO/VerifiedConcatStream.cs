using System.Security.Cryptography;
using Spps.Core.Formats;

namespace Spps.Core.IO;

/// <summary>
/// Reads design components one after the other as one stream, checking each one's length and SHA-256
/// against what the bitstream header promised as it goes.
/// </summary>
public sealed class VerifiedConcatStream(IReadOnlyList<(DesignComponent Component, Func<Stream> Open)> parts) : ReadOnlyStream
{
    private int _index = -1;
    private Stream? _current;
    private IncrementalHash? _hash;
    private long _currentRead;

    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            if (_current is null && !Advance()) return 0;
            var n = _current!.Read(buffer);
            if (n > 0)
            {
                _hash!.AppendData(buffer[..n]);
                _currentRead += n;
                return n;
            }
            FinishComponent();
        }
    }

    private bool Advance()
    {
        if (_index + 1 >= parts.Count) return false;
        _index++;
        _current = parts[_index].Open();
        _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        _currentRead = 0;
        return true;
    }

    private void FinishComponent()
    {
        var component = parts[_index].Component;
        var digest = Convert.ToHexStringLower(_hash!.GetHashAndReset());
        _current!.Dispose();
        _hash.Dispose();
        _current = null;
        if (_currentRead != component.Length || digest != component.Sha256)
            throw new SppsException(ErrorCodes.JdcInvalid, $"Component {component.Type} '{component.Name}' changed on disk since it was imported (SHA-256 or length differs). Import the programming data again.");
    }

    /// <summary>Finishes the last component's check (the encryptor stops reading at the declared length).</summary>
    public void VerifyEnd()
    {
        if (_current is not null)
        {
            Span<byte> probe = stackalloc byte[1];
            if (_current.Read(probe) != 0) throw new SppsException(ErrorCodes.JdcInvalid, $"Component '{parts[_index].Component.Name}' is longer than imported.");
            FinishComponent();
        }
        if (_index + 1 < parts.Count) throw new SppsException(ErrorCodes.JdcInvalid, "Not every component was read.");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { _current?.Dispose(); _hash?.Dispose(); }
        base.Dispose(disposing);
    }
}
