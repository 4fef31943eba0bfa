using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Spps.Core.Manufacturer;
using V1 = Spps.Mhsm.V1;

namespace Spps.Core.Service;

/// <summary>
/// A station's side of the M-HSM service (proto/spps/mhsm/v1): one gRPC channel per address, kept open and
/// shared by the boards programmed in parallel. A call that fails below the protocol (replica gone,
/// connection reset, its ledger store unavailable) goes to the next address; asking again for the same
/// (ticket, DSN) never counts a device twice, so failing over is always safe. A refusal (overbuild, revoked
/// station) is final: every replica would give the same answer.
/// </summary>
public sealed class MhsmClient : IAuthCodeIssuer, IDisposable
{
    public const string AddressVariable = Site.SiteOptions.MhsmVariable;
    public const string CredentialsVariable = Site.SiteOptions.MhsmCredentialsVariable;
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Status files carry every ledger record and CoC of a job: far above gRPC's 4 MiB default.</summary>
    public const int MaxMessageBytes = 256 << 20;
    private readonly IReadOnlyList<MhsmAddress> _addresses;
    private readonly GrpcChannel[] _channels;
    private readonly V1.Mhsm.MhsmClient[] _clients;
    private readonly TlsFiles? _credentials;
    private int _preferred;

    public MhsmClient(IReadOnlyList<MhsmAddress> addresses, TlsFiles? credentials)
    {
        if (addresses.Count == 0) throw new SppsException(ErrorCodes.InvalidOptionValue, $"No M-HSM service address: set {AddressVariable}=URL[,URL...].");
        _addresses = addresses;
        _credentials = credentials;
        _channels = addresses.Select(Channel).ToArray();
        _clients = _channels.Select(c => new V1.Mhsm.MhsmClient(c)).ToArray();
    }

    public string Description => _addresses.Count == 1
        ? $"the M-HSM service at {_addresses[0]}"
        : $"the M-HSM service at {string.Join(", ", _addresses)} (failover in that order)";

    /// <summary>
    /// The service this station is configured for: <paramref name="addresses"/> (--mhsm, else SPPS_MHSM as
    /// <see cref="Site.SiteOptions"/> resolved it), with credentials from <paramref name="credentialsFolder"/>
    /// (SPPS_MHSM_CREDENTIALS) when an address is https. Null when no address is set.
    /// </summary>
    public static MhsmClient? FromSettings(string? addresses, string? credentialsFolder, Func<string, string> resolve)
    {
        var list = addresses;
        if (string.IsNullOrWhiteSpace(list)) return null;
        var parsed = MhsmAddress.ParseList(list);
        TlsFiles? credentials = null;
        if (parsed.Any(a => !a.IsUnix))
        {
            var dir = credentialsFolder
                ?? throw new SppsException(ErrorCodes.SiteCredentialsInvalid, $"{AddressVariable} names an https service, but {CredentialsVariable} is not set: point it at the folder 'spps-station mhsm enroll --station NAME --out DIR' wrote.");
            credentials = TlsFiles.Load(resolve(dir));
        }
        return new MhsmClient(parsed, credentials);
    }

    public const string SocketName = "mhsm.sock";

    /// <summary>Where <c>spps-station mhsm serve</c> listens by default: SPPS_HOME/mhsm/UUID/mhsm.sock (mode 0600).</summary>
    public static string DefaultSocketPath(string sppsHome, string mhsmUuid) => Path.Combine(sppsHome, "mhsm", mhsmUuid, SocketName);

    /// <summary>The service on this machine's default socket (SPPS_HOME/mhsm/UUID/mhsm.sock), if one answers.</summary>
    public static MhsmClient? FindLocal(string socketPath)
    {
        if (!File.Exists(socketPath)) return null;
        var client = new MhsmClient([MhsmAddress.Parse("unix:" + socketPath)], null);
        try
        {
            client._clients[0].Health(new V1.HealthRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
            return client;
        }
        catch (RpcException)
        {
            client.Dispose();
            return null; // a socket file left by a service that died: issue in this process instead
        }
    }

    public Spps.Device.Reference.AuthCode IssueAuthCode(DeviceEvidence evidence)
    {
        var request = evidence.ToProto();
        return Call((c, deadline) => c.IssueAuthCode(request, deadline: deadline)).ToAuthCode();
    }

    public V1.JobStatus GetJobStatus(IEnumerable<string> ticketIds)
    {
        var request = new V1.GetJobStatusRequest();
        request.TicketIds.AddRange(ticketIds);
        return Call((c, deadline) => c.GetJobStatus(request, deadline: deadline));
    }

    public V1.UploadCocsReply UploadCocs(string job, IEnumerable<Spps.Device.Reference.Coc> cocs)
    {
        var request = new V1.UploadCocsRequest { Job = job };
        request.Cocs.AddRange(cocs.Select(c => c.ToProto()));
        return Call((c, deadline) => c.UploadCocs(request, deadline: deadline));
    }

    /// <summary>The service's M-HSM: UUID, identity and transport public keys.</summary>
    public V1.MhsmIdentity Describe() => Call((c, deadline) => c.DescribeMhsm(new V1.DescribeMhsmRequest(), deadline: deadline));

    /// <summary>process_job_request at the service: the signed reply file and the ticket IDs it reserved (again the same for a request answered before).</summary>
    public V1.AnswerJobRequestReply AnswerJobRequest(byte[] requestFile)
    {
        var request = new V1.AnswerJobRequestRequest { RequestFile = ByteString.CopyFrom(requestFile) };
        return Call((c, deadline) => c.AnswerJobRequest(request, deadline: deadline));
    }

    /// <summary>
    /// Loads a job at the service from its signed head. With <paramref name="recover"/> a load this very project
    /// already made counts as done, so asking a second replica after the first failed mid-call is safe.
    /// </summary>
    public V1.LoadJobReply LoadJob(byte[] jobHead, string project, bool recover)
    {
        var request = new V1.LoadJobRequest { JobHead = ByteString.CopyFrom(jobHead), Project = project, Recover = recover };
        return Call((c, deadline) => c.LoadJob(request, deadline: deadline));
    }

    /// <summary>The job's intermediate status file, signed by the service's M-HSM.</summary>
    public byte[] ExportJobStatus(byte[] jobHead, IEnumerable<Spps.Device.Reference.Coc> cocs)
    {
        var request = new V1.ExportJobStatusRequest { JobHead = ByteString.CopyFrom(jobHead) };
        request.Cocs.AddRange(cocs.Select(c => c.ToProto()));
        return Call((c, deadline) => c.ExportJobStatus(request, deadline: deadline)).StatusFile.ToByteArray();
    }

    /// <summary>Ends the job's tickets at the service (asking again is safe: an ended ticket keeps its certifier) and returns the final status file.</summary>
    public byte[] CompleteJob(byte[] jobHead, IEnumerable<Spps.Device.Reference.Coc> cocs, bool terminate)
    {
        var request = new V1.CompleteJobRequest { JobHead = ByteString.CopyFrom(jobHead), Terminate = terminate };
        request.Cocs.AddRange(cocs.Select(c => c.ToProto()));
        return Call((c, deadline) => c.CompleteJob(request, deadline: deadline)).StatusFile.ToByteArray();
    }

    /// <summary>Imports a signed DFK database into the service's M-HSM; returns its factory lot and signer.</summary>
    public FactoryKeyImport ImportFactoryKeys(byte[] database)
    {
        var request = new V1.ImportFactoryKeysRequest { Database = ByteString.CopyFrom(database) };
        var reply = Call((c, deadline) => c.ImportFactoryKeys(request, deadline: deadline));
        return new FactoryKeyImport(reply.Lot, reply.SignerId, reply.Signer);
    }

    /// <summary>Health of each address, in order: the reply, or why it did not answer.</summary>
    public IReadOnlyList<(MhsmAddress Address, V1.HealthReply? Reply, string? Error)> Health()
    {
        var results = new List<(MhsmAddress, V1.HealthReply?, string?)>();
        for (var i = 0; i < _clients.Length; i++)
        {
            try { results.Add((_addresses[i], _clients[i].Health(new V1.HealthRequest(), deadline: DateTime.UtcNow.AddSeconds(5)), null)); }
            catch (RpcException e) { results.Add((_addresses[i], null, RpcErrors.FromRpc(e)?.Message ?? Why(e))); }
        }
        return results;
    }

    private T Call<T>(Func<V1.Mhsm.MhsmClient, DateTime, T> call)
    {
        var start = Volatile.Read(ref _preferred);
        var failures = new List<string>();
        SppsException? last = null;
        for (var k = 0; k < _clients.Length; k++)
        {
            var i = (start + k) % _clients.Length;
            try
            {
                var result = call(_clients[i], DateTime.UtcNow.Add(CallTimeout));
                if (i != start) Volatile.Write(ref _preferred, i);
                return result;
            }
            catch (RpcException e)
            {
                var error = RpcErrors.FromRpc(e);
                if (error is not null && e.StatusCode != StatusCode.Unavailable) throw error; // a refusal: final
                last = error;
                failures.Add($"{_addresses[i]}: {error?.Message ?? Why(e)}");
            }
        }
        if (last is not null && failures.Count == 1) throw last;
        throw new SppsException(ErrorCodes.ServiceUnavailable,
            $"No M-HSM service answered ({string.Join("; ", failures)}). Nothing was counted for this device by a failed call; run again when a service is back.");
    }

    private static string Why(RpcException e)
    {
        // The transport's own reason (connection refused, TLS handshake refused ...), not gRPC's wrapper text.
        Exception? inner = e.Status.DebugException;
        while (inner?.InnerException is not null && inner is not SocketException && inner is not AuthenticationException) inner = inner.InnerException;
        return e.StatusCode switch
        {
            StatusCode.DeadlineExceeded => $"no answer within {CallTimeout.TotalSeconds:0} s",
            _ when inner is AuthenticationException a => $"TLS refused ({a.Message.TrimEnd('.')}): check {CredentialsVariable} and that the service's certificate is from this site's CA",
            _ when inner is not null => inner.Message.TrimEnd('.'),
            _ => e.Status.Detail.TrimEnd('.'),
        };
    }

    private GrpcChannel Channel(MhsmAddress address)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        if (address.IsUnix)
        {
            var path = address.SocketPath!;
            handler.ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
            return GrpcChannel.ForAddress("http://localhost", Options(handler));
        }
        var credentials = _credentials!;
        handler.SslOptions = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls13,
            ClientCertificates = new X509CertificateCollection { credentials.Certificate },
            LocalCertificateSelectionCallback = (_, _, _, _, _) => credentials.Certificate,
            RemoteCertificateValidationCallback = (_, certificate, _, errors) => credentials.ValidateServer(certificate as X509Certificate2 ?? (certificate is null ? null : new X509Certificate2(certificate)), errors),
        };
        return GrpcChannel.ForAddress($"https://{address.Host}:{address.Port}", Options(handler));
    }

    private static GrpcChannelOptions Options(HttpMessageHandler handler) => new()
    {
        HttpHandler = handler, DisposeHttpClient = true, MaxReceiveMessageSize = MaxMessageBytes, MaxSendMessageSize = MaxMessageBytes,
    };

    public void Dispose()
    {
        foreach (var channel in _channels) channel.Dispose();
        _credentials?.Dispose();
    }
}
