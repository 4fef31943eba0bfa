using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Newtonsoft.Json.Linq;

namespace Spps.Attack.Tests;

/// <summary>Any process of the CM may talk to the M-HSM service: whatever it sends, the service answers with a code and keeps serving.</summary>
public sealed class ServiceAttackTests
{
    [PendingDefenceFact(Pending.ServiceAnswersEverything)]
    public async Task Malformed_requests_to_the_M_HSM_service_each_get_an_error_answer()
    {
        using var t = new Tutorial();
        t.RunUntilJobLoaded();
        var service = t.Cm.Start("spps-station", "mhsm", "serve");
        try
        {
            Assert.Contains("serving authorization codes", await service.StandardOutput.ReadLineAsync());
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(Cm.MhsmFolder(t.Cm), "mhsm.sock")));

            foreach (var request in new[] { "{}", "[]", "null", "not json", "{\"ticket_id\":null,\"action\":\"PROGRAM\"}",
                                            "{\"ticket_id\":\"1\",\"action\":\"PROGRAM\",\"dsn\":\"00\"}" })
            {
                var reply = JObject.Parse(await Ask(socket, request));
                var code = (string?)reply["error_code"];
                Assert.True(code is not null && code.StartsWith("SPPS", StringComparison.Ordinal) && code != "SPPS9999", $"{request} -> {reply}");
                Assert.True(reply["auth_code"] is null || reply["auth_code"]!.Type == JTokenType.Null, $"{request} got a code");
            }
            Assert.False(service.HasExited, "the service died");
        }
        finally
        {
            if (!service.HasExited) service.Kill();
            await service.WaitForExitAsync();
        }
    }

    /// <summary>One frame (4-byte little-endian length, UTF-8 JSON) out, one back.</summary>
    private static async Task<string> Ask(Socket socket, string request)
    {
        var body = Encoding.UTF8.GetBytes(request);
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        await socket.SendAsync(frame, SocketFlags.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var header = await Receive(socket, 4, request, timeout.Token);
        return Encoding.UTF8.GetString(await Receive(socket, BinaryPrimitives.ReadInt32LittleEndian(header), request, timeout.Token));
    }

    private static async Task<byte[]> Receive(Socket socket, int length, string request, CancellationToken cancel)
    {
        var buffer = new byte[length];
        for (var done = 0; done < length;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(done), SocketFlags.None, cancel);
            Assert.True(n > 0, $"the service closed the connection instead of answering {request}");
            done += n;
        }
        return buffer;
    }
}
