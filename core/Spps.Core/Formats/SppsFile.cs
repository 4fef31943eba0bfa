using Spps.Core.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Spps.Core.Formats;

/// <summary>
/// The one container every SPPS file uses (see docs/formats.md):
/// <code>
/// SPPS/1 KIND HEADER_LENGTH\n              preamble: magic, container version, kind, header size in bytes
/// { ...header JSON, UTF-8... }\n           header, HEADER_LENGTH bytes including this newline
/// SIG ES384 FINGERPRINT BASE64\n           signature over preamble + header (signed kinds only)
/// ...payload...                            optional binary payload; its length and SHA-256 are in the header
/// </code>
/// Every byte is covered: the signature covers preamble and header, the header pins the payload, the
/// signature line is parsed strictly, and nothing may follow the payload.
/// </summary>
public sealed partial class SppsFile
{
    public const int ContainerVersion = 1;
    private const int MaxHeaderBytes = 64 << 20;

    private SppsFile(string path, string kind, JObject header, byte[] signedBytes, string? signerFingerprint, byte[]? signature, long payloadOffset, long payloadLength, string? payloadSha256)
    {
        Path = path;
        Kind = kind;
        Header = header;
        SignedBytes = signedBytes;
        SignerFingerprint = signerFingerprint;
        Signature = signature;
        PayloadOffset = payloadOffset;
        PayloadLength = payloadLength;
        PayloadSha256 = payloadSha256;
    }

    public string Path { get; }
    public string Kind { get; }
    public JObject Header { get; }
    public byte[] SignedBytes { get; }
    public string? SignerFingerprint { get; }
    public byte[]? Signature { get; }
    public long PayloadOffset { get; }
    public long PayloadLength { get; }
    public string? PayloadSha256 { get; }

    /// <summary>SHA-384 of preamble and header, which pin the payload: what replies, jobs and statuses refer to.</summary>
    public string Digest => Convert.ToHexStringLower(SHA384.HashData(SignedBytes));

    [GeneratedRegex(@"^SPPS/(\d+) ([a-z][a-z0-9-]*) (\d{1,9})$")]
    private static partial Regex Preamble();

    [GeneratedRegex(@"^SIG ES384 ([0-9a-f]{96}) ([A-Za-z0-9+/]{128})$")]
    private static partial Regex SignatureLine();

    public SourceLocation Where(JToken? token)
    {
        if (token is IJsonLineInfo info && info.HasLineInfo()) return new SourceLocation(Path, info.LineNumber + 1, info.LinePosition);
        return new SourceLocation(Path, 2);
    }

    /// <param name="headOnly">The file holds only the signed head (<see cref="SignedHead"/>): the payload the header
    /// pins is absent, and must be; <see cref="OpenPayload"/> cannot be used. How the M-HSM service gets a job.</param>
    public static SppsFile Read(string path, string expectedKind, bool signed, bool headOnly = false)
    {
        var display = path;
        FileStream stream;
        try { stream = File.OpenRead(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SppsException(ErrorCodes.FileNotFound, $"{display} does not exist.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SppsException(ErrorCodes.FileNotFound, $"{display} cannot be read: {e.Message}");
        }
        using (stream)
        {
            var first = ReadLine(stream, 128);
            var match = first is null ? null : Preamble().Match(first);
            if (match is null || !match.Success)
                throw new SppsException(ErrorCodes.NotAnSppsFile, $"This is not an SPPS {expectedKind} file (it does not start with 'SPPS/1 {expectedKind}').", new SourceLocation(display, 1));
            if (match.Groups[1].Value != ContainerVersion.ToString())
                throw new SppsException(ErrorCodes.UnsupportedVersion, $"SPPS container version {match.Groups[1].Value} is not supported by this version (it reads version {ContainerVersion}).", new SourceLocation(display, 1));
            var kind = match.Groups[2].Value;
            if (kind != expectedKind)
                throw new SppsException(ErrorCodes.WrongFileKind, $"This is an SPPS {kind} file, but a {expectedKind} file is needed here.", new SourceLocation(display, 1));
            var headerLength = int.Parse(match.Groups[3].Value);
            if (headerLength > MaxHeaderBytes)
                throw new SppsException(ErrorCodes.MalformedHeader, "The header length is implausibly large.", new SourceLocation(display, 1));
            var preamble = Encoding.ASCII.GetBytes(first + "\n");
            var signedBytes = new byte[preamble.Length + headerLength];
            preamble.CopyTo(signedBytes, 0);
            if (stream.ReadAtLeast(signedBytes.AsSpan(preamble.Length), headerLength, throwOnEndOfStream: false) != headerLength)
                throw new SppsException(ErrorCodes.TruncatedFile, "The file ends inside its header: it was truncated in transfer.", new SourceLocation(display, 2));
            if (signedBytes[^1] != (byte)'\n')
                throw new SppsException(ErrorCodes.MalformedHeader, "The header does not end where the preamble says: the file was edited.", new SourceLocation(display, 2));

            JObject header;
            try
            {
                var text = new UTF8Encoding(false, true).GetString(signedBytes, preamble.Length, headerLength);
                using var reader = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None };
                header = JObject.Load(reader, new JsonLoadSettings { LineInfoHandling = LineInfoHandling.Load, DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error });
                if (reader.Read()) throw new JsonReaderException("Unexpected content after the header object.", reader.Path, reader.LineNumber, reader.LinePosition, null);
            }
            catch (JsonReaderException e)
            {
                throw new SppsException(ErrorCodes.MalformedHeader, $"The header is not valid JSON: {FirstSentence(e.Message)}", new SourceLocation(display, e.LineNumber + 1, e.LinePosition));
            }
            catch (Exception e) when (e is DecoderFallbackException or InvalidOperationException or ArgumentException)
            {
                throw new SppsException(ErrorCodes.MalformedHeader, $"The header is not valid UTF-8 JSON: {FirstSentence(e.Message)}", new SourceLocation(display, 2));
            }

            string? fingerprint = null;
            byte[]? signature = null;
            var headerLines = signedBytes.Count(b => b == (byte)'\n');
            if (signed)
            {
                var line = ReadLine(stream, 256);
                var sig = line is null ? null : SignatureLine().Match(line);
                if (sig is null || !sig.Success)
                    throw new SppsException(ErrorCodes.MalformedSignature, "The signature line is missing or malformed: the file was truncated or edited.", new SourceLocation(display, headerLines + 1));
                fingerprint = sig.Groups[1].Value;
                signature = Convert.FromBase64String(sig.Groups[2].Value);
                if (Convert.ToBase64String(signature) != sig.Groups[2].Value)
                    throw new SppsException(ErrorCodes.MalformedSignature, "The signature is not in canonical base64: the file was edited.", new SourceLocation(display, headerLines + 1));
            }

            var file = new SppsFile(display, kind, header, signedBytes, fingerprint, signature, stream.Position, 0, null);
            var payload = header["payload"] as JObject;
            long payloadLength = 0;
            string? payloadHash = null;
            if (payload is not null)
            {
                payloadLength = HeaderFields.Long(file, payload, "length", min: 0);
                payloadHash = HeaderFields.Hex(file, payload, "sha256", 32);
            }
            if (headOnly && stream.Length != stream.Position)
                throw new SppsException(ErrorCodes.PayloadTampered, "Bytes follow the signed head where none may be.", new SourceLocation(display, headerLines + (signed ? 2 : 1)));
            if (!headOnly && stream.Length - stream.Position != payloadLength)
                throw new SppsException(payloadLength > stream.Length - stream.Position ? ErrorCodes.TruncatedFile : ErrorCodes.PayloadTampered,
                    $"The payload is {stream.Length - stream.Position} bytes but the header says {payloadLength}: the file was truncated or extended.", new SourceLocation(display, headerLines + (signed ? 2 : 1)));
            return new SppsFile(display, kind, header, signedBytes, fingerprint, signature, stream.Position, payloadLength, payloadHash);
        }
    }

    /// <summary>Preamble, header and signature line: everything the signature covers or is, without the payload.</summary>
    public byte[] SignedHead()
    {
        if (Signature is null) return SignedBytes.ToArray();
        var line = Encoding.ASCII.GetBytes($"SIG ES384 {SignerFingerprint} {Convert.ToBase64String(Signature)}\n");
        return [.. SignedBytes, .. line];
    }

    /// <summary>Opens the payload as a stream that fails at its end if the bytes do not match the header's SHA-256.</summary>
    public Stream OpenPayload()
    {
        var stream = File.OpenRead(Path);
        stream.Position = PayloadOffset;
        return new VerifyingStream(stream, PayloadLength, PayloadSha256 ?? throw new SppsException(ErrorCodes.MissingField, "The file has no payload.", new SourceLocation(Path)), Path);
    }

    /// <summary>Reads the whole payload to check its SHA-256 (streaming; memory does not grow).</summary>
    public void VerifyPayload()
    {
        if (PayloadSha256 is null) return;
        using var payload = OpenPayload();
        payload.CopyTo(Stream.Null, 1 << 20);
    }

    public static void Write(string path, string kind, JObject header, Func<byte[], (string Fingerprint, byte[] Signature)>? sign, Action<Stream>? writePayload = null)
    {
        var headerBytes = Encoding.UTF8.GetBytes(header.ToString(Formatting.Indented) + "\n");
        var preamble = Encoding.ASCII.GetBytes($"SPPS/{ContainerVersion} {kind} {headerBytes.Length}\n");
        var signed = new byte[preamble.Length + headerBytes.Length];
        preamble.CopyTo(signed, 0);
        headerBytes.CopyTo(signed, preamble.Length);
        byte[]? signatureLine = null;
        if (sign is not null)
        {
            var (fingerprint, signature) = sign(signed);
            signatureLine = Encoding.ASCII.GetBytes($"SIG ES384 {fingerprint} {Convert.ToBase64String(signature)}\n");
        }
        IO.AtomicFile.Write(path, stream =>
        {
            stream.Write(signed);
            if (signatureLine is not null) stream.Write(signatureLine);
            writePayload?.Invoke(stream);
        });
    }

    private static string? ReadLine(Stream stream, int max)
    {
        var bytes = new List<byte>();
        while (bytes.Count <= max)
        {
            var b = stream.ReadByte();
            if (b < 0) return null;
            if (b == '\n') return Encoding.ASCII.GetString(bytes.ToArray());
            bytes.Add((byte)b);
        }
        return null;
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path '", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private sealed class VerifyingStream(Stream inner, long length, string expectedSha256, string path) : ReadOnlyStream
    {
        private readonly long _length = length;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _remaining = length;
        private bool _checked;

            public override int Read(Span<byte> buffer)
        {
            if (_remaining == 0) { Check(); return 0; }
            var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
            if (n == 0) throw new SppsException(ErrorCodes.TruncatedFile, "The payload ended early: the file was truncated.", new SourceLocation(path));
            _hash.AppendData(buffer[..n]);
            _remaining -= n;
            if (_remaining == 0) Check();
            return n;
        }

        private void Check()
        {
            if (_checked) return;
            _checked = true;
            if (Convert.ToHexStringLower(_hash.GetHashAndReset()) != expectedSha256)
                throw new SppsException(ErrorCodes.PayloadTampered, "The payload does not match the SHA-256 in the signed header: it was modified.", new SourceLocation(path));
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) { inner.Dispose(); _hash.Dispose(); }
            base.Dispose(disposing);
        }
    }
}
