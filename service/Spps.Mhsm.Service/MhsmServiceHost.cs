using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spps.Core;
using Spps.Core.Manufacturer;
using Spps.Core.Service;

namespace Spps.Mhsm.Service;

/// <summary>How one replica serves: where it listens, its TLS files, the site CRL, the metrics address, and the M-HSM's
/// state folder (SPPS_HOME/mhsm/UUID) where uploaded CoCs and job status files go (default: a folder under the temp path).</summary>
public sealed record ServeOptions(
    IReadOnlyList<MhsmAddress> Listen,
    string? CredentialsDirectory,
    string? CrlPath,
    Uri? Metrics,
    LogLevel LogLevel = LogLevel.Information,
    string? StateDirectory = null,
    string? AllowGroup = null);

/// <summary>
/// Runs the M-HSM service (spps-station mhsm serve) on Kestrel until stopped: gRPC over HTTP/2 on each Unix
/// socket (h2c) and each https address (TLS 1.3 only; the station's certificate is asked for in the handshake
/// and checked on every request, see <see cref="StationAuthorizer"/>). Structured logs (JSON lines) go to
/// stderr. Stopping (Ctrl-C, SIGTERM) finishes the calls in flight, then removes the socket files.
/// </summary>
public static class MhsmServiceHost
{
    public static async Task RunAsync(ManufacturerHsm mhsm, ServeOptions options, Action<string> say, CancellationToken stop)
    {
        foreach (var unix in options.Listen.Where(a => a.IsUnix)) await ClaimSocket(unix.SocketPath!);
        TlsFiles? tls = null;
        StationAuthorizer? authorizer = null;
        if (options.Listen.Any(a => !a.IsUnix))
        {
            var dir = options.CredentialsDirectory
                ?? throw new SppsException(ErrorCodes.SiteCredentialsInvalid, $"An https address needs the service's TLS files: pass --credentials DIR (written by 'spps-station mhsm enroll-service --out DIR') or set {MhsmClient.CredentialsVariable}.");
            tls = TlsFiles.Load(dir);
            authorizer = new StationAuthorizer(tls.Ca, new SiteRevocation(options.CrlPath, tls.Ca));
        }
        var state = new ServiceState(mhsm, mhsm, authorizer, options.StateDirectory ?? Path.Combine(Path.GetTempPath(), "spps-mhsm-" + mhsm.Uuid));

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.Logging.AddJsonConsole(o =>
        {
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.UseUtcTimestamp = true;
        });
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        builder.Services.AddSingleton(state);
        builder.Services.AddGrpc(o => o.EnableDetailedErrors = false);
        var peers = new LocalPeers(options.AllowGroup);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var address in options.Listen)
            {
                if (address.IsUnix)
                {
                    kestrel.ListenUnixSocket(address.SocketPath!, l =>
                    {
                        l.Protocols = HttpProtocols.Http2;
                        l.Use(peers.Middleware);
                    });
                    continue;
                }
                foreach (var ip in Addresses(address.Host!))
                    kestrel.Listen(ip, address.Port, l =>
                    {
                        l.Protocols = HttpProtocols.Http2;
                        l.UseHttps(new HttpsConnectionAdapterOptions
                        {
                            ServerCertificate = tls!.Certificate,
                            SslProtocols = SslProtocols.Tls13,
                            // Asked for in the handshake; judged per request (StationAuthorizer) so a station without a
                            // valid certificate gets a clear SPPS4020 refusal, and a revoked one is refused from its next request.
                            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                            ClientCertificateValidation = (_, _, _) => true,
                            CheckCertificateRevocation = false,
                        });
                    });
            }
            if (options.Metrics is { } metrics)
                foreach (var ip in Addresses(metrics.Host))
                    kestrel.Listen(ip, metrics.Port, l => l.Protocols = HttpProtocols.Http1);
        });

        var app = builder.Build();
        app.MapGrpcService<MhsmGrpcService>();
        if (options.Metrics is { } m)
        {
            app.MapGet("/metrics", () => Results.Text(state.Metrics.Render(state.MhsmUuid), "text/plain; version=0.0.4")).RequireHost($"*:{m.Port}");
            app.MapGet("/healthz", () =>
            {
                var health = state.Health();
                return health.Status == Mhsm.V1.HealthReply.Types.Status.Serving ? Results.Text("serving\n") : Results.Text("not serving: " + health.Detail + "\n", statusCode: 503);
            }).RequireHost($"*:{m.Port}");
        }
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Spps.Mhsm.Service");
        try
        {
            // The socket is born with its final mode (0600, or 0660 for --allow-group): no moment when others may connect.
            var mask = OperatingSystem.IsWindows() ? 0 : umask(options.AllowGroup is null ? 0x7F /* 0177 */ : 0x4F /* 0117 */);
            try { await app.StartAsync(stop); }
            finally { if (!OperatingSystem.IsWindows()) umask(mask); }
            foreach (var unix in options.Listen.Where(a => a.IsUnix)) peers.GrantGroup(unix.SocketPath!);
            log.LogInformation("M-HSM {Uuid} serving on {Addresses} as replica {Replica}", mhsm.Uuid, string.Join(", ", options.Listen), state.Replica);
            say($"M-HSM {mhsm.Uuid} serving authorization codes on {string.Join(", ", options.Listen)} (Ctrl-C or SIGTERM to stop).");
            try { await Task.Delay(Timeout.Infinite, stop); }
            catch (OperationCanceledException) { }
            log.LogInformation("Stopping: finishing calls in flight");
            await app.StopAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is AddressInUseException || e is IOException { InnerException: SocketException })
        {
            throw new SppsException(ErrorCodes.ServiceAlreadyRunning, $"Cannot listen on {string.Join(", ", options.Listen)}: {e.Message.TrimEnd('.')}. Another service (or program) holds the address.");
        }
        finally
        {
            await app.DisposeAsync();
            foreach (var unix in options.Listen.Where(a => a.IsUnix)) File.Delete(unix.SocketPath!);
            tls?.Dispose();
            say($"M-HSM service stopped after {state.Metrics.Issued} code(s) issued and {state.Metrics.Refused} request(s) refused.");
        }
    }

    private static async Task ClaimSocket(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path)) return;
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await probe.ConnectAsync(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            File.Delete(path); // left by a service that was killed
            return;
        }
        throw new SppsException(ErrorCodes.ServiceAlreadyRunning, $"An M-HSM service is already running on {path}: one per socket is enough, every station on this machine uses it.");
    }

    private static IEnumerable<IPAddress> Addresses(string host)
    {
        if (host is "*" or "0.0.0.0") return [IPAddress.Any];
        if (host is "[::]" or "::") return [IPAddress.IPv6Any];
        if (IPAddress.TryParse(host.Trim('[', ']'), out var ip)) return [ip];
        if (host == "localhost") return [IPAddress.Loopback];
        return Dns.GetHostAddresses(host);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    private static extern int umask(int mask);
}
