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
