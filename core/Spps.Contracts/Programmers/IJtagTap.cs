namespace Spps.Contracts.Programmers;

/// <summary>
/// A whole JTAG scan chain behind a programmer, at the level of the TAP: every shift goes through every
/// device of the chain. Bits are shifted LSB first (bit i is <c>(bytes[i / 8] &gt;&gt; (i % 8)) &amp; 1</c>);
/// the first bits shifted in travel furthest, so a chain-wide vector starts with the bits of device 0,
/// the device nearest TDO (OpenOCD's first declared TAP). Every operation ends in Run-Test/Idle.
/// A tap is used by one thread at a time.
/// </summary>
public interface IJtagTap : IDisposable
{
    /// <summary>Where the chain is (board files, adapter serial and channel, OpenOCD server ...), for logs.</summary>
    string Location { get; }

    /// <summary>TCK frequency in Hz (what the adapter actually runs at after a set).</summary>
    int FrequencyHz { get; set; }

    /// <summary>Five TCK with TMS high (Test-Logic-Reset), then Run-Test/Idle.</summary>
    void Reset();

    /// <summary>Shifts <paramref name="bitLength"/> bits through the instruction registers of the whole chain; returns TDO.</summary>
    byte[] ShiftIr(ReadOnlySpan<byte> tdi, int bitLength);

    /// <summary>Shifts <paramref name="bitLength"/> bits through the selected data registers of the whole chain; returns TDO.</summary>
    byte[] ShiftDr(ReadOnlySpan<byte> tdi, int bitLength);

    /// <summary>Clocks TCK in Run-Test/Idle.</summary>
    void RunIdle(int clocks);
}

/// <summary>One device position of a scan chain, as the programmer's configuration declares it.</summary>
/// <param name="Name">TAP name (e.g. OpenOCD's <c>chip.tap</c>) or board file and position.</param>
/// <param name="IrLength">Instruction register length, when known.</param>
/// <param name="IdCode">IDCODE seen (or expected) at this position, when known.</param>
public sealed record JtagChainDevice(string Name, int? IrLength, uint? IdCode);

/// <summary>An opened scan chain: its TAP and what is known of its devices (index 0 nearest TDO).</summary>
public sealed class JtagChain(IJtagTap tap, IReadOnlyList<JtagChainDevice> devices) : IDisposable
{
    /// <summary>The chain's TAP.</summary>
    public IJtagTap Tap { get; } = tap;

    /// <summary>The devices, index 0 nearest TDO; <c>hw_location</c> k of a job is index k-1.</summary>
    public IReadOnlyList<JtagChainDevice> Devices { get; } = devices;

    /// <summary>Closes the tap.</summary>
    public void Dispose() => Tap.Dispose();
}

/// <summary>
/// Optional capability of a programmer provider that gives whole chains, so the host can target any
/// device position and keep the others in BYPASS. A connection may reach several chains (sites).
/// </summary>
public interface IJtagChainProvider
{
    /// <summary>Opens every chain the connection names.</summary>
    /// <exception cref="ProgrammerException">The programmer cannot be reached.</exception>
    IReadOnlyList<JtagChain> OpenChains(string connection);
}

/// <summary>
/// A JTAG chain at the level of its pins, as a bit-banging adapter drives it (OpenOCD's remote_bitbang).
/// </summary>
public interface IJtagPins : IDisposable
{
    /// <summary>TDO as the chain drives it now (it changes on the falling edge of TCK).</summary>
    bool Tdo { get; }

    /// <summary>One rising edge of TCK with these TMS and TDI levels.</summary>
    void Clock(bool tms, bool tdi);

    /// <summary>TRST asserted: every TAP goes to Test-Logic-Reset.</summary>
    void TestReset();
}

/// <summary>Optional capability of the board simulator: chained boards and pin-level access for <c>sim serve-jtag</c>.</summary>
public interface IJtagBoardSimulator
{
    /// <summary>Creates <paramref name="count"/> boards of <paramref name="chainLength"/> blank devices each (one board file per chain).</summary>
    IReadOnlyList<VirtualBoardState> CreateChainedBoards(string directory, int count, int chainLength, string vendorHome);

    /// <summary>Claims the board files and joins their devices into one chain, in order (the first board's first device nearest TDO).</summary>
    IJtagPins OpenPins(IReadOnlyList<string> boardFiles);
}
