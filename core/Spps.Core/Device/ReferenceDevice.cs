using System.Buffers.Binary;
using System.Text;
using Spps.Core.IO;
using Spps.Contracts.Programmers;
using Spps.Device.Reference;

namespace Spps.Core.Device;

/// <summary>
/// Host side of the reference device family: talks to one device through any programmer's JTAG port,
/// using the instructions and mailbox of docs/device.md.
/// </summary>
public sealed class ReferenceDevice(IJtagPort port)
{

    public IJtagPort Port { get; } = port;

    public uint ReadIdCode()
    {
        Port.ResetTap();
        Port.ShiftIr(JtagInstructions.IdCode, JtagInstructions.IrLength);
        return BinaryPrimitives.ReadUInt32LittleEndian(Port.ShiftDr(new byte[4], 32));
    }

    public string ReadDsn()
    {
        Port.ShiftIr(JtagInstructions.Dsn, JtagInstructions.IrLength);
        return Convert.ToHexStringLower(Port.ShiftDr(new byte[JtagInstructions.DsnBytes], JtagInstructions.DsnBytes * 8));
    }

    public byte[] Certificate() => Request(MailboxCommand.GetCertificate, []);

    public byte[] NewEphemeralKey() => Request(MailboxCommand.NewEphemeralKey, []);

    private static T Read<T>(byte[] answer)
    {
        try { return SnakeCaseJson.Deserialize<T>(answer); }
        catch (Newtonsoft.Json.JsonException) { throw new SppsException(ErrorCodes.DeviceProtocol, $"The device answered with a malformed {typeof(T).Name}."); }
    }

    public DeviceState State() => Read<DeviceState>(Request(MailboxCommand.GetState, []));

    public void LoadAuthCode(AuthCode code) => Request(MailboxCommand.LoadAuthCode, SnakeCaseJson.Serialize(code));

    public void Erase() => Request(MailboxCommand.Erase, []);

    public Coc Coc() => Read<Coc>(Request(MailboxCommand.GetCoc, []));

    /// <summary>Streams a bitstream to the device one segment per frame; the device authenticates each.</summary>
    public void SendBitstream(string headerJson, Stream ciphertext, long plaintextLength, int segmentSize)
    {
        Request(MailboxCommand.BitstreamBegin, Encoding.UTF8.GetBytes(headerJson));
        var segments = Crypto.SegmentedAead.SegmentCount(plaintextLength, segmentSize);
        var frame = new byte[5 + segmentSize + Crypto.SegmentedAead.TagSize];
        long done = 0;
        for (uint index = 0; index < segments; index++)
        {
            var length = (int)Math.Min(segmentSize, plaintextLength - done) + Crypto.SegmentedAead.TagSize;
            ciphertext.ReadExactly(frame.AsSpan(5, length));
            BinaryPrimitives.WriteUInt32BigEndian(frame, index);
            frame[4] = index == segments - 1 ? (byte)1 : (byte)0;
            Request(MailboxCommand.BitstreamFrame, frame.AsSpan(0, 5 + length));
            done += length - Crypto.SegmentedAead.TagSize;
        }
        Request(MailboxCommand.BitstreamEnd, []);
    }

    private byte[] Request(MailboxCommand command, ReadOnlySpan<byte> payload)
    {
        var message = new byte[1 + payload.Length];
        message[0] = (byte)command;
        payload.CopyTo(message.AsSpan(1));
        Port.ShiftIr(JtagInstructions.MailboxWrite, JtagInstructions.IrLength);
        Port.ShiftDr(message, message.Length * 8);
        Port.ShiftIr(JtagInstructions.MailboxExecute, JtagInstructions.IrLength);
        var status = (MailboxStatus)Port.ShiftDr(new byte[1], 8)[0];
        Port.ShiftIr(JtagInstructions.MailboxResponseLength, JtagInstructions.IrLength);
        var length = BinaryPrimitives.ReadInt32LittleEndian(Port.ShiftDr(new byte[4], 32));
        if (length < 0 || length > 16 << 20) throw new SppsException(ErrorCodes.DeviceProtocol, $"Device on {Port.Location} answered with an implausible length {length}.");
        var response = new byte[length];
        if (length > 0)
        {
            Port.ShiftIr(JtagInstructions.MailboxRead, JtagInstructions.IrLength);
            response = Port.ShiftDr(response, length * 8);
        }
        if (status != MailboxStatus.Ok)
            throw new SppsException(ErrorCodes.DeviceRefused, $"The device on {Port.Location} refused {command}: {status} ({Encoding.UTF8.GetString(response)}).");
        return response;
    }
}
