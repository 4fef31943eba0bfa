namespace Spps.Contracts.Programmers;

/// <summary>
/// One device's JTAG TAP behind a programmer. Bits are shifted LSB first: bit i of the value is
/// <c>(bytes[i / 8] &gt;&gt; (i % 8)) &amp; 1</c>. A port is used by one thread at a time.
/// </summary>
public interface IJtagPort : IDisposable
{
    /// <summary>Where the device sits (board file, adapter serial and chain position ...), for logs.</summary>
    string Location { get; }

    /// <summary>TCK frequency in Hz.</summary>
    int FrequencyHz { get; set; }

    /// <summary>Resets the TAP to Test-Logic-Reset, then Run-Test/Idle.</summary>
    void ResetTap();

    /// <summary>Shifts an instruction into IR and returns to Run-Test/Idle.</summary>
    void ShiftIr(uint instruction, int bitLength);

    /// <summary>Shifts <paramref name="bitLength"/> bits through DR, returning what came out on TDO.</summary>
    byte[] ShiftDr(ReadOnlySpan<byte> tdi, int bitLength);

    /// <summary>Clocks TCK in Run-Test/Idle.</summary>
    void RunIdle(int clocks);
}
