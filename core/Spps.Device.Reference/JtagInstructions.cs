namespace Spps.Device.Reference;

/// <summary>
/// JTAG instructions of the reference device family (IR is 8 bits). See docs/device.md.
/// </summary>
/// <remarks>
/// | IR   | name          | DR bits        | meaning                                              |
/// |------|---------------|----------------|------------------------------------------------------|
/// | 0x0F | IDCODE        | 32             | device ID code                                       |
/// | 0x10 | DSN           | 128            | device serial number                                 |
/// | 0x20 | MBOX_WRITE    | 8·n            | append n request bytes to the mailbox                |
/// | 0x21 | MBOX_EXEC     | 8              | run the buffered request; TDO = status (0 = OK)      |
/// | 0x22 | MBOX_RESP_LEN | 32             | length of the response                               |
/// | 0x23 | MBOX_READ     | 8·n            | read n response bytes                                |
/// | 0xFF | BYPASS        | 1              |                                                      |
/// </remarks>
public static class JtagInstructions
{
    public const int IrLength = 8;
    public const uint IdCode = 0x0F;
    public const uint Dsn = 0x10;
    public const uint MailboxWrite = 0x20;
    public const uint MailboxExecute = 0x21;
    public const uint MailboxResponseLength = 0x22;
    public const uint MailboxRead = 0x23;
    public const uint Bypass = 0xFF;

    /// <summary>IDCODE of the reference family (manufacturer field 0x5A5, part 0x5350 "SP").</summary>
    public const uint ReferenceIdCode = 0x15350B4B;
    public const int DsnBytes = 16;
}

/// <summary>Mailbox commands: the first byte of a request.</summary>
public enum MailboxCommand : byte
{
    GetCertificate = 0x01,
    NewEphemeralKey = 0x02,
    LoadAuthCode = 0x03,
    BitstreamBegin = 0x04,
    BitstreamFrame = 0x05,
    BitstreamEnd = 0x06,
    GetCoc = 0x07,
    Erase = 0x08,
    GetState = 0x09,
}

/// <summary>Mailbox status: TDO of MBOX_EXEC, and the first byte of every response.</summary>
public enum MailboxStatus : byte
{
    Ok = 0,
    BadRequest = 1,
    NotAuthorized = 2,
    AuthenticationFailed = 3,
    WrongState = 4,
    VerifyMismatch = 5,
}
