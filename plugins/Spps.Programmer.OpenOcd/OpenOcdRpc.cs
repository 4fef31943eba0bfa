using System.Net.Sockets;
using System.Text;
using Spps.Contracts.Programmers;

namespace Spps.Programmer.OpenOcd;

/// <summary>
/// OpenOCD's Tcl RPC server (tcl_port, 6666 by default): a command and its answer each end with 0x1a.
/// Every command runs inside <c>catch</c>, so a failure comes back as an error, not as an empty answer.
/// </summary>
internal sealed class OpenOcdRpc : IDisposable
{
    private const byte Terminator = 0x1a;
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[1 << 16];
    private readonly MemoryStream _answer = new();
    private readonly Func<string> _diagnostics;

    private OpenOcdRpc(TcpClient client, string endpoint, Func<string> diagnostics)
    {
        _client = client;
        _stream = client.GetStream();
        Endpoint = endpoint;
        _diagnostics = diagnostics;
    }

    public string Endpoint { get; }

    /// <summary>Bytes of commands sent so far.</summary>
    public long BytesSent { get; private set; }

    public static OpenOcdRpc? TryConnect(string host, int port, Func<string> diagnostics)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            client.Connect(host, port);
            return new OpenOcdRpc(client, $"{host}:{port}", diagnostics);
        }
        catch (SocketException)
        {
            client.Dispose();
            return null;
        }
    }

    /// <summary>Runs a Tcl command; its result, or <see cref="ProgrammerException"/> SPPS5009 with OpenOCD's message.</summary>
    public string Run(string command)
    {
        var answer = Raw($"if {{[catch {{{command}}} spps_r]}} {{set spps_r \"E $spps_r\"}} else {{set spps_r \"O $spps_r\"}}");
        if (answer.StartsWith("O ", StringComparison.Ordinal)) return answer[2..];
        var message = answer.StartsWith("E ", StringComparison.Ordinal) ? answer[2..] : answer;
        throw new ProgrammerException(ErrorCodes.ProgrammerDisconnected, $"OpenOCD at {Endpoint} failed '{Shorten(command)}': {message.Trim()}{_diagnostics()}");
    }

    /// <summary>Sends a command as is and returns the answer.</summary>
    public string Raw(string command)
    {
        var bytes = Encoding.UTF8.GetBytes(command);
        try
        {
            _stream.Write(bytes);
            _stream.WriteByte(Terminator);
            BytesSent += bytes.Length + 1;
            _answer.SetLength(0);
            while (true)
            {
                var read = _stream.Read(_buffer);
                if (read == 0) throw new EndOfStreamException("OpenOCD closed the connection");
                var end = Array.IndexOf(_buffer, Terminator, 0, read);
                if (end >= 0)
                {
                    _answer.Write(_buffer, 0, end);
                    return Encoding.UTF8.GetString(_answer.GetBuffer(), 0, (int)_answer.Length);
                }
                _answer.Write(_buffer, 0, read);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or EndOfStreamException or ObjectDisposedException)
        {
            throw new ProgrammerException(ErrorCodes.ProgrammerDisconnected, $"OpenOCD at {Endpoint} stopped answering ({e.Message}) during '{Shorten(command)}'.{_diagnostics()}");
        }
    }

    private static string Shorten(string command) => command.Length <= 60 ? command : command[..60] + " ...";

    public void Dispose() => _client.Dispose();
}
