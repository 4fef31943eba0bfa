using System.Buffers.Binary;
using Spps.Contracts.Programmers;
using Spps.Device.Reference;

namespace Spps.Programmer.Simulator;

/// <summary>
/// A virtual TAP in front of one <see cref="VirtualDevice"/>. Holds the board file open exclusively
/// while in use, so two stations never drive the same board at once.
/// </summary>
internal sealed class VirtualTap : IJtagPort
{
    private readonly FileStream _claim;
    private readonly VirtualDevice _device;
    private readonly List<byte> _request = new();
    private byte[] _response = [];
    private uint _instruction = JtagInstructions.IdCode;

    private VirtualTap(string path, FileStream claim, VirtualDevice device)
    {
        Location = path;
        _claim = claim;
        _device = device;
    }

    public string Location { get; }
    public int FrequencyHz { get; set; } = 6_000_000;

    public static VirtualTap Open(string path)
    {
        var claimPath = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".claim");
        FileStream claim;
        for (var attempt = 0; ; attempt++)
        {
            try { claim = new FileStream(claimPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); break; }
            catch (IOException) when (attempt < 1200) { Thread.Sleep(25); }
            catch (IOException) { throw new ProgrammerException(ErrorCodes.BoardBusy, $"Board {path} is in use by another station."); }
        }
        try
        {
            return new VirtualTap(path, claim, new VirtualDevice(path, BoardFile.Load(path)));
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidDataException)
        {
            claim.Dispose();
            throw new ProgrammerException(ErrorCodes.ProgrammerInvalid, $"Board file {path} is unreadable: {e.Message}");
        }
    }

    public void ResetTap() => _instruction = JtagInstructions.IdCode;

    public void ShiftIr(uint instruction, int bitLength)
    {
        if (bitLength != JtagInstructions.IrLength) throw new ProgrammerException(ErrorCodes.DeviceProtocol, $"IR length is {JtagInstructions.IrLength}, not {bitLength}.");
        _instruction = instruction;
        if (instruction == JtagInstructions.MailboxWrite) _request.Clear();
    }

    public byte[] ShiftDr(ReadOnlySpan<byte> tdi, int bitLength)
    {
        var output = new byte[(bitLength + 7) / 8];
        switch (_instruction)
        {
            case JtagInstructions.IdCode:
                if (output.Length >= 4) BinaryPrimitives.WriteUInt32LittleEndian(output, _device.Board.IdCode);
                break;
            case JtagInstructions.Dsn:
                Convert.FromHexString(_device.Board.Dsn).AsSpan(0, Math.Min(JtagInstructions.DsnBytes, output.Length)).CopyTo(output);
                break;
            case JtagInstructions.MailboxWrite:
                _request.AddRange(tdi[..(bitLength / 8)].ToArray());
                break;
            case JtagInstructions.MailboxExecute:
                var (status, response) = _device.Execute(_request.ToArray());
                _request.Clear();
                _response = response;
                output[0] = (byte)status;
                break;
            case JtagInstructions.MailboxResponseLength:
                BinaryPrimitives.WriteInt32LittleEndian(output, _response.Length);
                break;
            case JtagInstructions.MailboxRead:
                _response.AsSpan(0, Math.Min(_response.Length, output.Length)).CopyTo(output);
                break;
            default:
                break; // BYPASS and unknown instructions shift zeros, as a 1-bit bypass register would
        }
        return output;
    }

    public void RunIdle(int clocks) { }

    public void Dispose()
    {
        _device.Dispose();
        _claim.Dispose();
    }
}
