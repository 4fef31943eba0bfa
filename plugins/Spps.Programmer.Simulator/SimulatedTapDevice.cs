using System.Buffers.Binary;
using Spps.Device.Reference;

namespace Spps.Programmer.Simulator;

/// <summary>
/// The JTAG side of one simulated reference device: an 8-bit IR (captures 0b00000001) and the data
/// registers of docs/device.md, clocked bit by bit by <see cref="SimulatedChain"/>.
/// Fixed registers (IDCODE, DSN, MBOX_EXEC, MBOX_RESP_LEN, BYPASS) are true shift registers of their
/// length. MBOX_WRITE takes any number of bits and, at Update-DR, appends the last whole bytes that came
/// in (the leading bits that do not make a byte are the bypass bits of the chain, so up to 8 devices
/// per chain). MBOX_READ shifts out the response, then zeros.
/// </summary>
internal sealed class SimulatedTapDevice(VirtualDevice device) : IDisposable
{
    private readonly List<byte> _request = new();
    private byte[] _response = [];
    private uint _instruction = JtagInstructions.IdCode;
    private int _ir;

    // Fixed-length register as a circular buffer: out = bit at head, in replaces it.
    private byte[] _fixed = [0];
    private int _head;
    // MBOX_WRITE: bits received; MBOX_READ: bits sent.
    private byte[] _stream = new byte[1024];
    private int _streamBits;
    private Mode _mode = Mode.Fixed;

    private enum Mode { Fixed, StreamIn, StreamOut }

    public VirtualDevice Device => device;

    public uint Instruction => _instruction;

    public bool IrOut => (_ir & 1) != 0;

    public bool DrOut => _mode switch
    {
        Mode.Fixed => _fixed[_head] != 0,
        Mode.StreamOut => _streamBits < _response.Length * 8 && ((_response[_streamBits >> 3] >> (_streamBits & 7)) & 1) != 0,
        _ => false,
    };

    public void Reset() => _instruction = JtagInstructions.IdCode;

    public void CaptureIr() => _ir = 0x01;

    public bool ShiftIr(bool tdi)
    {
        var output = (_ir & 1) != 0;
        _ir = (_ir >> 1) | (tdi ? 1 << (JtagInstructions.IrLength - 1) : 0);
        return output;
    }

    public void UpdateIr()
    {
        _instruction = (uint)_ir;
        if (_instruction == JtagInstructions.MailboxWrite) _request.Clear();
    }

    public void CaptureDr()
    {
        _mode = Mode.Fixed;
        _head = 0;
        switch (_instruction)
        {
            case JtagInstructions.IdCode:
                Load(BitConverter.GetBytes(device.Board.IdCode), 32);
                break;
            case JtagInstructions.Dsn:
                Load(Convert.FromHexString(device.Board.Dsn), JtagInstructions.DsnBytes * 8);
                break;
            case JtagInstructions.MailboxWrite:
                _mode = Mode.StreamIn;
                _streamBits = 0;
                Array.Clear(_stream);
                break;
            case JtagInstructions.MailboxExecute:
                var (status, response) = device.Execute(_request.ToArray());
                _request.Clear();
                _response = response;
                Load([(byte)status], 8);
                break;
            case JtagInstructions.MailboxResponseLength:
                var length = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(length, _response.Length);
                Load(length, 32);
                break;
            case JtagInstructions.MailboxRead:
                _mode = Mode.StreamOut;
                _streamBits = 0;
                break;
            default:
                Load([0], 1); // BYPASS and unknown instructions: a 1-bit register that captures 0
                break;
        }
    }

    public bool ShiftDr(bool tdi)
    {
        switch (_mode)
        {
            case Mode.Fixed:
                var output = _fixed[_head] != 0;
                _fixed[_head] = tdi ? (byte)1 : (byte)0;
                if (++_head == _fixed.Length) _head = 0;
                return output;
            case Mode.StreamIn:
                if (_streamBits >> 3 == _stream.Length) Array.Resize(ref _stream, _stream.Length * 2);
                if (tdi) _stream[_streamBits >> 3] |= (byte)(1 << (_streamBits & 7));
                _streamBits++;
                return false;
            default:
                var bit = DrOut;
                _streamBits++;
                return bit;
        }
    }

    public void UpdateDr()
    {
        if (_mode != Mode.StreamIn) return;
        var skip = _streamBits % 8;
        var bytes = _streamBits / 8;
        if (skip == 0)
        {
            _request.AddRange(_stream.AsSpan(0, bytes));
        }
        else
        {
            for (var i = 0; i < bytes; i++)
            {
                var at = skip + i * 8;
                var low = _stream[at >> 3] >> (at & 7);
                var high = (at >> 3) + 1 < _stream.Length ? _stream[(at >> 3) + 1] << (8 - (at & 7)) : 0;
                _request.Add((byte)(low | high));
            }
        }
        _streamBits = 0;
    }

    private void Load(byte[] value, int bits)
    {
        _fixed = new byte[bits];
        for (var i = 0; i < bits; i++) _fixed[i] = (byte)((value[i >> 3] >> (i & 7)) & 1);
    }

    public void Dispose() => device.Dispose();
}
