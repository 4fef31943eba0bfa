using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Spps.Mhsm.V1;

namespace Spps.Attack.Tests;

/// <summary>
/// Any process of the CM may talk to the M-HSM service on its Unix socket (gRPC, proto/spps/mhsm/v1): whatever
/// it sends, the service refuses with a code, hands out no authorization code, and keeps serving.
/// </summary>
public sealed class ServiceAttackTests
{
    [Fact]
    public async Task Malformed_requests_to_the_M_HSM_service_each_get_an_error_answer()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();
        var service = t.Cm.Start("spps-station", "mhsm", "serve");
        try
        {
            Assert.Contains("serving authorization codes", await service.StandardOutput.ReadLineAsync());
            using var channel = UnixChannel(Path.Combine(Cm.MhsmFolder(t.Cm), "mhsm.sock"));
            var client = new Mhsm.V1.Mhsm.MhsmClient(channel);

            foreach (var request in new[]
            {
                new IssueAuthCodeRequest(),
                new IssueAuthCodeRequest { Action = "PROGRAM" },
                new IssueAuthCodeRequest { TicketId = "1", Action = "PROGRAM", Dsn = "00" },
                new IssueAuthCodeRequest { TicketId = "not a ticket", Action = "PROGRAM", Dsn = "00" },
                new IssueAuthCodeRequest { TicketId = "0123456789abcdef0123456789abcdef", Action = "BOGUS", Dsn = "00" },
                new IssueAuthCodeRequest { TicketId = "0123456789abcdef0123456789abcdef", Action = "PROGRAM", Dsn = "has spaces" },
                new IssueAuthCodeRequest { TicketId = "0123456789abcdef0123456789abcdef", Action = "PROGRAM", Dsn = new string('A', 100_000) },
            })
            {
                var e = await Assert.ThrowsAsync<RpcException>(() => client.IssueAuthCodeAsync(request, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
                var code = e.Trailers.GetValue("spps-error-code");
                Assert.True(code is not null && code.StartsWith("SPPS", StringComparison.Ordinal) && code != "SPPS9999", $"{request} -> {e.Status}");
            }

            // Bytes that are not an IssueAuthCodeRequest at all: refused by the gRPC layer, no code, the service lives on.
            var raw = new Method<byte[], byte[]>(MethodType.Unary, "spps.mhsm.v1.Mhsm", "IssueAuthCode",
                Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
            var garbage = await Assert.ThrowsAsync<RpcException>(() =>
                channel.CreateCallInvoker().AsyncUnaryCall(raw, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), [0xff, 0xff, 0xff, 0xff, 0x0f]).ResponseAsync);
            Assert.NotEqual(StatusCode.OK, garbage.StatusCode);

            Assert.False(service.HasExited, "the service died");
            Assert.Equal(HealthReply.Types.Status.Serving, (await client.HealthAsync(new HealthRequest(), deadline: DateTime.UtcNow.AddSeconds(30))).Status);
        }
        finally
        {
            if (!service.HasExited) service.Kill();
            await service.WaitForExitAsync();
        }
    }

    /// <summary>
    /// The socket is born 0600. A CM that opens it up (chmod 0666, every folder above it searchable) lets any
    /// local user connect; the service still answers only its own user, from the kernel's SO_PEERCRED.
    /// Another user's call (curl speaking gRPC, as user nobody) is refused with SPPS4020; the same call from
    /// the service's own user is answered.
    /// </summary>
    [RootFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_local_process_of_another_user_is_refused_even_when_the_socket_is_opened_up()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();
        var service = t.Cm.Start("spps-station", "mhsm", "serve");
        try
        {
            Assert.Contains("serving authorization codes", await service.StandardOutput.ReadLineAsync());
            var socket = Path.Combine(Cm.MhsmFolder(t.Cm), "mhsm.sock");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));

            File.SetUnixFileMode(socket, (UnixFileMode)0b110_110_110);
            for (var dir = Path.GetDirectoryName(socket); dir is not null && dir != "/"; dir = Path.GetDirectoryName(dir))
                File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.OtherExecute);
            var emptyRequest = Path.Combine(t.Root, "empty-grpc-frame");
            File.WriteAllBytes(emptyRequest, new byte[5]); // uncompressed, length 0: an empty GetJobStatusRequest
            File.SetUnixFileMode(emptyRequest, (UnixFileMode)0b110_100_100);

            var stranger = Curl(socket, emptyRequest, "nobody");
            Assert.Contains("spps-error-code: SPPS4020", stranger);
            Assert.Contains("runs as user 65534", Uri.UnescapeDataString(stranger));
            var own = Curl(socket, emptyRequest, null);
            Assert.Contains("grpc-status: 0", own);
            Assert.DoesNotContain("SPPS4020", own);
        }
        finally
        {
            if (!service.HasExited) service.Kill();
            await service.WaitForExitAsync();
        }
    }

    /// <summary>One unary gRPC call over h2c with curl, as <paramref name="user"/> (null: this process's user); the response headers and trailers.</summary>
    private static string Curl(string socket, string body, string? user)
    {
        string[] curl = ["curl", "-sS", "--http2-prior-knowledge", "--unix-socket", socket, "-H", "content-type: application/grpc", "-H", "te: trailers",
            "--data-binary", "@" + body, "-D", "-", "-o", "/dev/null", "http://localhost/spps.mhsm.v1.Mhsm/GetJobStatus"];
        var info = new System.Diagnostics.ProcessStartInfo(user is null ? curl[0] : "runuser") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in user is null ? curl[1..] : ["-u", user, "--", .. curl]) info.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    private static GrpcChannel UnixChannel(string path) => GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        },
    });
}

/// <summary>A test that needs root (to act as another user): skipped, and saying so, when not root. CI runs as root.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Environment.UserName != "root") Skip = "needs root (runuser), as in CI";
    }
}
