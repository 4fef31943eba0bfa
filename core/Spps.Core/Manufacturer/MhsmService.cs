using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text.Json;
using Spps.Device.Reference;

namespace Spps.Core.Manufacturer;

/// <summary>
/// The site's M-HSM service: one process holds the HSM session and the ledger, and every station on the
/// machine asks it for authorization codes over a Unix socket (SPPS_HOME/mhsm/UUID/mhsm.sock, mode 0600).
/// Stations then share one ledger reader and their fsyncs share journal commits. The ledger lock still
/// rules, so a station without a reachable service issues in its own process and the count stays exact.
/// Frames: 4-byte little-endian length, then UTF-8 JSON.
/// </summary>
public static class MhsmService
{
    public const string SocketName = "mhsm.sock";
    private const int MaxFrame = 1 << 20;
    internal static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string SocketPath(string sppsHome, string mhsmUuid) => Path.Combine(sppsHome, "mhsm", mhsmUuid, SocketName);

    /// <summary>Serves until <paramref name="stop"/> is cancelled; each connection is handled on its own task.</summary>
    public static async Task ServeAsync(ManufacturerHsm mhsm, string socketPath, Action<string> log, CancellationToken stop)
    {
        if (File.Exists(socketPath))
        {
            if (await IsServing(socketPath))
                throw new SppsException(ErrorCodes.ServiceAlreadyRunning, $"An M-HSM service is already running on {socketPath}: one per M-HSM is enough, every station on this machine uses it.");
            File.Delete(socketPath); // left by a service that was killed
        }
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        listener.Listen(128);
        log($"M-HSM {mhsm.Uuid} serving authorization codes on {socketPath} (Ctrl-C to stop).");
        var served = 0L;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptAsync(stop);
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        while (await ReadFrame(client, stop) is { } request)
                        {
                            var response = Handle(mhsm, request);
                            await WriteFrame(client, response, stop);
                            Interlocked.Increment(ref served);
                        }
                    }
                }, stop);
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            File.Delete(socketPath);
            log($"M-HSM service stopped after {Interlocked.Read(ref served)} request(s).");
        }
    }

    private static byte[] Handle(ManufacturerHsm mhsm, byte[] request)
    {
        try
        {
            var evidence = (JsonSerializer.Deserialize<Evidence>(request, Json)
                ?? throw new SppsException(ErrorCodes.DeviceProtocol, "Empty request.")).ToDomain();
            var code = mhsm.IssueAuthCode(evidence);
            return JsonSerializer.SerializeToUtf8Bytes(new Reply(code, null, null), Json);
        }
        catch (SppsException e)
        {
            return JsonSerializer.SerializeToUtf8Bytes(new Reply(null, e.Code.Id, e.Message), Json);
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToUtf8Bytes(new Reply(null, ErrorCodes.DeviceProtocol.Id, "Malformed request."), Json);
        }
    }

    internal sealed record Reply(AuthCode? AuthCode, string? ErrorCode, string? Message);

    /// <summary>A device's evidence on the wire; parsed into the typed <see cref="DeviceEvidence"/> at the edge.</summary>
    internal sealed record Evidence(string TicketId, string Action, string Dsn, byte[]? Certificate, byte[]? EphemeralKey, string? FactoryLot)
    {
        public static Evidence From(DeviceEvidence e) => new(e.TicketId.Value, e.Action.Name, e.Dsn.Value, e.Certificate, e.EphemeralKey, e.FactoryLot);

        public DeviceEvidence ToDomain()
        {
            static SppsException Bad(string what) => new(ErrorCodes.DeviceProtocol, $"Malformed request: expected {what}.");
            return new DeviceEvidence(Domain.TicketId.Parse(TicketId, Bad), Domain.ProgrammingAction.Parse(Action, Bad), Domain.Dsn.Parse(Dsn, Bad), Certificate, EphemeralKey, FactoryLot);
        }
    }

    private static async Task<bool> IsServing(string socketPath)
    {
        try
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await probe.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    internal static async Task<byte[]?> ReadFrame(Socket socket, CancellationToken stop)
    {
        var header = new byte[4];
        if (!await ReadExactly(socket, header, stop)) return null;
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length is < 0 or > MaxFrame) return null;
        var body = new byte[length];
        return await ReadExactly(socket, body, stop) ? body : null;
    }

    internal static async Task WriteFrame(Socket socket, byte[] body, CancellationToken stop)
    {
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        await socket.SendAsync(frame, SocketFlags.None, stop);
    }

    private static async Task<bool> ReadExactly(Socket socket, Memory<byte> buffer, CancellationToken stop)
    {
        while (buffer.Length > 0)
        {
            int n;
            try { n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop); }
            catch (SocketException) { return false; }
            if (n == 0) return false;
            buffer = buffer[n..];
        }
        return true;
    }
}

/// <summary>
/// A station's connections to the site's M-HSM service: kept open and reused, one per board being
/// programmed at once, so boards in parallel stay parallel.
/// </summary>
public sealed class MhsmServiceClient(string socketPath, string mhsmUuid) : IAuthCodeIssuer, IDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentBag<Socket> _idle = new();

    public string Description => $"the M-HSM service of M-HSM {mhsmUuid} ({socketPath})";

    /// <summary>The service for this site's M-HSM, if one is listening.</summary>
    public static MhsmServiceClient? Find(string sppsHome, string mhsmUuid)
    {
        var path = MhsmService.SocketPath(sppsHome, mhsmUuid);
        if (!File.Exists(path)) return null;
        var client = new MhsmServiceClient(path, mhsmUuid);
        try
        {
            client._idle.Add(client.Connect());
            return client;
        }
        catch (SocketException)
        {
            return null; // a socket file left by a service that died: issue in this process instead
        }
    }

    public AuthCode IssueAuthCode(DeviceEvidence evidence)
    {
        Socket? socket = null;
        try
        {
            socket = _idle.TryTake(out var idle) ? idle : Connect();
            MhsmService.WriteFrame(socket, JsonSerializer.SerializeToUtf8Bytes(MhsmService.Evidence.From(evidence), MhsmService.Json), CancellationToken.None).GetAwaiter().GetResult();
            var response = MhsmService.ReadFrame(socket, CancellationToken.None).GetAwaiter().GetResult()
                ?? throw new SppsException(ErrorCodes.ServiceUnavailable, $"The M-HSM service on {socketPath} closed the connection without answering (it may have stopped); run again.");
            var reply = JsonSerializer.Deserialize<MhsmService.Reply>(response, MhsmService.Json)!;
            _idle.Add(socket);
            socket = null;
            return reply.AuthCode ?? throw new SppsException(ErrorCodes.Find(reply.ErrorCode) ?? ErrorCodes.DeviceProtocol, reply.Message ?? "The M-HSM service refused.");
        }
        catch (SocketException e)
        {
            throw new SppsException(ErrorCodes.ServiceUnavailable, $"The M-HSM service on {socketPath} is unreachable ({e.SocketErrorCode}); run again (without a service the station issues codes itself).");
        }
        finally
        {
            socket?.Dispose(); // a connection that failed mid-request is not reused
        }
    }

    private Socket Connect()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var socket)) socket.Dispose();
    }
}
