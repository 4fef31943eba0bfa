using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;
using Spps.Device.Reference;

namespace Spps.Programmer.Simulator;

/// <summary>
/// The silicon of one reference device: executes mailbox requests against its board file.
/// Volatile state (ephemeral key, unwrapped KIP, a bitstream in flight) lives only as long as the object.
/// </summary>
internal sealed class VirtualDevice : IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly Action _save;
    private readonly BoardFile _board;
    private ECDiffieHellman? _ephemeral;
    private byte[]? _kip;
    private AuthCode? _auth;
    private BitstreamSession? _bitstream;
    private string? _lastResult;
    private string? _erasedDigest;

    /// <param name="board">the device's identity and non-volatile state</param>
    /// <param name="save">writes the board file (atomically) after a non-volatile change</param>
    /// <summary>How long programming takes once the whole bitstream is in: SPPS_SIM_PROGRAM_MS (0 to 600000, default 0).</summary>
    private static readonly TimeSpan ProgramTime =
        int.TryParse(Environment.GetEnvironmentVariable("SPPS_SIM_PROGRAM_MS"), out var ms) && ms is > 0 and <= 600_000 ? TimeSpan.FromMilliseconds(ms) : TimeSpan.Zero;

    public VirtualDevice(BoardFile board, Action save)
    {
        _board = board;
        _save = save;
    }

    public BoardFile Board => _board;

    public (MailboxStatus Status, byte[] Response) Execute(ReadOnlySpan<byte> request)
    {
        if (request.Length == 0) return Fail(MailboxStatus.BadRequest, "empty request");
        try
        {
            var payload = request[1..];
            return (MailboxCommand)request[0] switch
            {
                MailboxCommand.GetCertificate => Ok(Convert.FromBase64String(_board.Certificate)),
                MailboxCommand.NewEphemeralKey => NewEphemeral(),
                MailboxCommand.LoadAuthCode => LoadAuthCode(JsonSerializer.Deserialize<AuthCode>(payload, Json)!),
                MailboxCommand.BitstreamBegin => BitstreamBegin(payload),
                MailboxCommand.BitstreamFrame => BitstreamFrame(payload),
                MailboxCommand.BitstreamEnd => BitstreamEnd(),
                MailboxCommand.GetCoc => GetCoc(),
                MailboxCommand.Erase => Erase(),
                MailboxCommand.GetState => Ok(JsonSerializer.SerializeToUtf8Bytes(new DeviceState(_board.Dsn, _board.State.Programmed, _board.State.Design, _board.State.DesignDigest, _board.State.CycleCount, _board.FactoryLot), Json)),
                _ => Fail(MailboxStatus.BadRequest, $"unknown command 0x{request[0]:X2}"),
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or CryptographicException or ArgumentException or NullReferenceException)
        {
            return Fail(MailboxStatus.BadRequest, "malformed request: " + e.GetType().Name);
        }
    }

    private (MailboxStatus, byte[]) NewEphemeral()
    {
        _ephemeral?.Dispose();
        _ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        return Ok(_ephemeral.ExportSubjectPublicKeyInfo());
    }

    private (MailboxStatus, byte[]) LoadAuthCode(AuthCode code)
    {
        _kip = null;
        _auth = null;
        _lastResult = null;
        if (!string.Equals(code.Dsn, _board.Dsn, StringComparison.Ordinal))
            return Fail(MailboxStatus.NotAuthorized, "authorization code is for another device");
        byte[] ikm;
        switch (code.KeyMode)
        {
            case "KFPE":
                if (_ephemeral is null || code.HsmEphemeral1 is null || code.HsmEphemeral2 is null)
                    return Fail(MailboxStatus.WrongState, "KFPE needs the device ephemeral key and two HSM ephemeral keys");
                ikm = [.. Agree(StaticKey(), code.HsmEphemeral1), .. Agree(_ephemeral, code.HsmEphemeral2)];
                break;
            case "KFP":
                if (code.HsmEphemeral1 is null) return Fail(MailboxStatus.BadRequest, "KFP needs an HSM ephemeral key");
                ikm = Agree(StaticKey(), code.HsmEphemeral1);
                break;
            case "DFK":
                ikm = Convert.FromBase64String(_board.FactoryKey);
                break;
            default:
                return Fail(MailboxStatus.BadRequest, $"unknown key mode {code.KeyMode}");
        }
        var kdev = HKDF.DeriveKey(HashAlgorithmName.SHA384, ikm, 32, Convert.FromHexString(code.Nonce), ProtocolLabels.DeviceKey(code.KeyMode, code.TicketId, code.Action, code.Dsn));
        CryptographicOperations.ZeroMemory(ikm);
        byte[] kip;
        try
        {
            using var aes = Aes.Create();
            aes.Key = kdev;
            kip = aes.DecryptKeyWrapPadded(Convert.FromBase64String(code.WrappedKip));
        }
        catch (CryptographicException)
        {
            return Fail(MailboxStatus.AuthenticationFailed, "authorization code does not authenticate on this device");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kdev);
        }
        if (code.Action is "VERIFY" or "ERASE")
        {
            if (!_board.State.Programmed) return Fail(MailboxStatus.WrongState, $"{code.Action} needs a programmed device; this one is blank");
            if (_board.State.KipCheck != KipCheck(kip)) return Fail(MailboxStatus.NotAuthorized, $"the {code.Action} code is for another design than the one programmed");
        }
        _kip = kip;
        _auth = code;
        return Ok([]);
    }

    private (MailboxStatus, byte[]) BitstreamBegin(ReadOnlySpan<byte> headerBytes)
    {
        if (_kip is null || _auth is null || _auth.Action is not ("PROGRAM" or "VERIFY"))
            return Fail(MailboxStatus.NotAuthorized, "no PROGRAM or VERIFY authorization code loaded");
        using var doc = JsonDocument.Parse(headerBytes.ToArray());
        var root = doc.RootElement;
        var components = root.GetProperty("components").EnumerateArray()
            .Select(c => new ComponentProgress(c.GetProperty("type").GetString()!, c.GetProperty("name").GetString()!, c.GetProperty("length").GetInt64(), c.GetProperty("sha256").GetString()!))
            .ToList();
        _bitstream = new BitstreamSession(
            new AesGcm(_kip, 16),
            Convert.FromHexString(root.GetProperty("nonce_prefix").GetString()!),
            SHA256.HashData(headerBytes),
            root.GetProperty("segment_size").GetInt32(),
            root.GetProperty("plaintext_length").GetInt64(),
            root.GetProperty("design").GetString()!,
            root.GetProperty("design_digest").GetString()!,
            components);
        return Ok([]);
    }

    private (MailboxStatus, byte[]) BitstreamFrame(ReadOnlySpan<byte> frame)
    {
        var session = _bitstream;
        if (session is null) return Fail(MailboxStatus.WrongState, "no bitstream started");
        var index = BinaryPrimitives.ReadUInt32BigEndian(frame);
        var last = frame[4] == 1;
        if (index != session.NextIndex || session.Finished) return Fail(MailboxStatus.AuthenticationFailed, "bitstream frame out of order");
        var segment = frame[5..];
        var plaintext = new byte[Math.Max(0, segment.Length - BitstreamSegments.TagSize)];
        if (!BitstreamSegments.TryDecrypt(session.Gcm, session.NoncePrefix, index, last, segment, plaintext, session.Aad))
        {
            _bitstream = null;
            return Fail(MailboxStatus.AuthenticationFailed, $"bitstream segment {index} does not authenticate");
        }
        session.Absorb(plaintext);
        session.NextIndex++;
        session.Finished = last;
        return Ok([]);
    }

    private (MailboxStatus, byte[]) BitstreamEnd()
    {
        var session = _bitstream;
        _bitstream = null;
        if (session is null || _auth is null || _kip is null) return Fail(MailboxStatus.WrongState, "no bitstream in progress");
        using (session)
        {
            if (!session.Finished || session.Received != session.PlaintextLength)
                return Fail(MailboxStatus.AuthenticationFailed, "bitstream truncated");
            var digests = session.Components.ToDictionary(c => c.Type + ":" + c.Name, c => c.Finish());
            if (session.Components.Any(c => digests[c.Type + ":" + c.Name] != c.Sha256))
                return Fail(MailboxStatus.AuthenticationFailed, "bitstream component digest mismatch");
            if (_auth.Action == "VERIFY")
            {
                var same = _board.State.DesignDigest == session.DesignDigest &&
                           digests.All(d => _board.State.Components.TryGetValue(d.Key, out var v) && v == d.Value);
                _lastResult = same ? "VERIFIED" : "MISMATCH";
                return same ? Ok([]) : Fail(MailboxStatus.VerifyMismatch, "device content differs from the bitstream");
            }
            // Real silicon takes its time to program; SPPS_SIM_PROGRAM_MS lets a simulated one take it too.
            if (ProgramTime > TimeSpan.Zero) Thread.Sleep(ProgramTime);
            var state = _board.State;
            state.Programmed = true;
            state.Design = session.Design;
            state.DesignDigest = session.DesignDigest;
            state.KipCheck = KipCheck(_kip);
            state.Components = digests;
            state.UserKeys = session.Components.Count(c => c.Type == "SECURITY");
            state.CycleCount++;
            _save();
            _lastResult = "PROGRAMMED";
            return Ok([]);
        }
    }

    private (MailboxStatus, byte[]) Erase()
    {
        if (_kip is null || _auth?.Action != "ERASE") return Fail(MailboxStatus.NotAuthorized, "no ERASE authorization code loaded");
        _erasedDigest = _board.State.DesignDigest;
        var cycles = _board.State.CycleCount;
        _board.State = new NonVolatileState { CycleCount = cycles + 1 };
        _save();
        _lastResult = "ERASED";
        return Ok([]);
    }

    private (MailboxStatus, byte[]) GetCoc()
    {
        if (_kip is null || _auth is null || _lastResult is null) return Fail(MailboxStatus.WrongState, "no completed action to certify");
        var digest = (_auth.Action == "ERASE" ? _erasedDigest : _board.State.DesignDigest) ?? new string('0', 64);
        var message = ProtocolLabels.CocMessage(_board.Dsn, digest, _auth.TicketId, _auth.Action, _auth.Nonce, _lastResult);
        var cocKey = HKDF.DeriveKey(HashAlgorithmName.SHA384, _kip, 32, [], ProtocolLabels.CocKey(_auth.TicketId));
        var cmac = new CMac(new AesEngine());
        cmac.Init(new KeyParameter(cocKey));
        cmac.BlockUpdate(message);
        var tag = new byte[16];
        cmac.DoFinal(tag);
        CryptographicOperations.ZeroMemory(cocKey);
        var coc = new Coc(_board.Dsn, digest, _auth.TicketId, _auth.Action, _auth.Nonce, _lastResult, Convert.ToHexStringLower(tag));
        return Ok(JsonSerializer.SerializeToUtf8Bytes(coc, Json));
    }

    private ECDiffieHellman StaticKey()
    {
        var key = ECDiffieHellman.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(_board.StaticKeyPkcs8), out _);
        return key;
    }

    private static byte[] Agree(ECDiffieHellman own, string peerSpkiBase64)
    {
        using var peer = ECDiffieHellman.Create();
        peer.ImportSubjectPublicKeyInfo(Convert.FromBase64String(peerSpkiBase64), out _);
        return own.DeriveRawSecretAgreement(peer.PublicKey);
    }

    private static string KipCheck(byte[] kip) =>
        Convert.ToHexStringLower(HKDF.DeriveKey(HashAlgorithmName.SHA384, kip, 16, [], ProtocolLabels.KipCheck));

    private static (MailboxStatus, byte[]) Ok(byte[] payload) => (MailboxStatus.Ok, payload);

    private static (MailboxStatus, byte[]) Fail(MailboxStatus status, string message) => (status, Encoding.UTF8.GetBytes(message));

    public void Dispose()
    {
        _ephemeral?.Dispose();
        _bitstream?.Dispose();
        if (_kip is not null) CryptographicOperations.ZeroMemory(_kip);
    }

    private sealed class ComponentProgress(string type, string name, long length, string sha256)
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        public string Type { get; } = type;
        public string Name { get; } = name;
        public long Length { get; } = length;
        public string Sha256 { get; } = sha256;
        public long Filled { get; set; }
        public void Append(ReadOnlySpan<byte> data) { _hash.AppendData(data); Filled += data.Length; }
        public string Finish() => Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    private sealed class BitstreamSession(AesGcm gcm, byte[] noncePrefix, byte[] aad, int segmentSize, long plaintextLength, string design, string designDigest, List<ComponentProgress> components) : IDisposable
    {
        public AesGcm Gcm { get; } = gcm;
        public byte[] NoncePrefix { get; } = noncePrefix;
        public byte[] Aad { get; } = aad;
        public int SegmentSize { get; } = segmentSize;
        public long PlaintextLength { get; } = plaintextLength;
        public string Design { get; } = design;
        public string DesignDigest { get; } = designDigest;
        public List<ComponentProgress> Components { get; } = components;
        public uint NextIndex { get; set; }
        public bool Finished { get; set; }
        public long Received { get; private set; }

        public void Absorb(ReadOnlySpan<byte> plaintext)
        {
            Received += plaintext.Length;
            while (plaintext.Length > 0)
            {
                var current = Components.FirstOrDefault(c => c.Filled < c.Length);
                if (current is null) return;
                var take = (int)Math.Min(plaintext.Length, current.Length - current.Filled);
                current.Append(plaintext[..take]);
                plaintext = plaintext[take..];
            }
        }

        public void Dispose() => Gcm.Dispose();
    }
}
