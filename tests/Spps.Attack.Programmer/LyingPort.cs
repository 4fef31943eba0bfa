using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Spps.Contracts.Programmers;
using Spps.Device.Reference;

namespace Spps.Attack.Programmer;

/// <summary>
/// A JTAG port that sits between the station and a device: it buffers each mailbox request, rewrites it,
/// runs it on the device, reads the whole response, rewrites that, and serves it to the station.
/// </summary>
internal sealed class LyingPort(IJtagPort inner, Tricks tricks) : IJtagPort
{
    private readonly List<byte> _request = new();
    private byte[]? _response;
    private uint _instruction = JtagInstructions.IdCode;
    private string? _dsn;

    public string Location => inner.Location;

    public int FrequencyHz { get => inner.FrequencyHz; set => inner.FrequencyHz = value; }

    public void ResetTap()
    {
        _instruction = JtagInstructions.IdCode;
        inner.ResetTap();
    }

    public void ShiftIr(uint instruction, int bitLength)
    {
        _instruction = instruction;
        if (instruction == JtagInstructions.MailboxWrite) _request.Clear();
        if (instruction is JtagInstructions.MailboxWrite or JtagInstructions.MailboxExecute or JtagInstructions.MailboxResponseLength or JtagInstructions.MailboxRead)
            return; // the mailbox is driven by Execute below
        _response = null;
        inner.ShiftIr(instruction, bitLength);
    }

    public byte[] ShiftDr(ReadOnlySpan<byte> tdi, int bitLength)
    {
        var output = new byte[(bitLength + 7) / 8];
        switch (_instruction)
        {
            case JtagInstructions.MailboxWrite:
                _request.AddRange(tdi[..(bitLength / 8)].ToArray());
                return output;
            case JtagInstructions.MailboxExecute:
                output[0] = Execute();
                return output;
            case JtagInstructions.MailboxResponseLength:
                BinaryPrimitives.WriteInt32LittleEndian(output, _response?.Length ?? 0);
                return output;
            case JtagInstructions.MailboxRead:
                (_response ?? []).AsSpan(0, Math.Min(_response?.Length ?? 0, output.Length)).CopyTo(output);
                return output;
            case JtagInstructions.Dsn:
                var dsn = inner.ShiftDr(tdi, bitLength);
                _dsn = Convert.ToHexStringLower(dsn);
                return dsn;
            default:
                return inner.ShiftDr(tdi, bitLength);
        }
    }

    public void RunIdle(int clocks) => inner.RunIdle(clocks);

    public void Dispose() => inner.Dispose();

    private byte Execute()
    {
        var request = Rewrite(_request.ToArray());
        _request.Clear();
        inner.ShiftIr(JtagInstructions.MailboxWrite, JtagInstructions.IrLength);
        inner.ShiftDr(request, request.Length * 8);
        inner.ShiftIr(JtagInstructions.MailboxExecute, JtagInstructions.IrLength);
        var status = inner.ShiftDr(new byte[1], 8)[0];
        inner.ShiftIr(JtagInstructions.MailboxResponseLength, JtagInstructions.IrLength);
        var length = BinaryPrimitives.ReadInt32LittleEndian(inner.ShiftDr(new byte[4], 32));
        var response = new byte[Math.Max(0, length)];
        if (length > 0)
        {
            inner.ShiftIr(JtagInstructions.MailboxRead, JtagInstructions.IrLength);
            response = inner.ShiftDr(response, length * 8);
        }
        _response = request.Length > 0 && status == (byte)MailboxStatus.Ok ? RewriteResponse((MailboxCommand)request[0], response) : response;
        return status;
    }

    private byte[] Rewrite(byte[] request)
    {
        if (request.Length == 0 || (MailboxCommand)request[0] != MailboxCommand.LoadAuthCode) return request;
        if (tricks.ReplayFile is { } replay)
        {
            if (!File.Exists(replay))
            {
                File.WriteAllBytes(replay, request);
                return request;
            }
            var captured = File.ReadAllBytes(replay);
            var replayed = JsonNode.Parse(captured.AsSpan(1))!.AsObject();
            replayed["dsn"] = _dsn; // addressed to this device: only the device's own key derivation can tell
            return [captured[0], .. System.Text.Encoding.UTF8.GetBytes(replayed.ToJsonString())];
        }
        if (tricks.RelabelFrom is null) return request;
        var code = JsonNode.Parse(request.AsSpan(1))!.AsObject();
        if ((string?)code["action"] == tricks.RelabelFrom) code["action"] = tricks.RelabelTo;
        return [request[0], .. System.Text.Encoding.UTF8.GetBytes(code.ToJsonString())];
    }

    private byte[] RewriteResponse(MailboxCommand command, byte[] response)
    {
        if (command != MailboxCommand.GetState || tricks.ClaimState is null) return response;
        var state = JsonNode.Parse(response)!.AsObject();
        var programmed = tricks.ClaimState == "programmed";
        state["programmed"] = programmed;
        state["design"] = programmed ? tricks.ClaimDesign : null;
        state["design_digest"] = programmed ? tricks.ClaimDigest : null;
        return System.Text.Encoding.UTF8.GetBytes(state.ToJsonString());
    }
}
