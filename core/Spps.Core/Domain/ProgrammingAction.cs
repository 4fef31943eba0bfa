namespace Spps.Core.Domain;

/// <summary>
/// What a station does to a device: a closed set of objects that carry their own rules (which device state the
/// action needs, whether it sends the bitstream, whether it needs an authorization code). Compared by name.
/// PROGRAM, VERIFY and ERASE are authorized by tickets and spend a code per device; DEVICE_INFO, READ_IDCODE and
/// VERIFY_DIGEST only read the device, need no ticket and never spend a code (as in the seed's FlashPro Express).
/// </summary>
public sealed class ProgrammingAction : ClosedSet<ProgrammingAction>
{
    public static readonly ProgrammingAction Program = new("PROGRAM", sendsBitstream: true, needsProgrammedDevice: false, needsAuthorizationCode: true);
    public static readonly ProgrammingAction Verify = new("VERIFY", sendsBitstream: true, needsProgrammedDevice: true, needsAuthorizationCode: true);
    public static readonly ProgrammingAction Erase = new("ERASE", sendsBitstream: false, needsProgrammedDevice: true, needsAuthorizationCode: true);

    /// <summary>Reads the device's IDCODE, DSN, state (design, digest, cycles, factory lot) and certificate.</summary>
    public static readonly ProgrammingAction DeviceInfo = new("DEVICE_INFO", sendsBitstream: false, needsProgrammedDevice: false, needsAuthorizationCode: false);

    /// <summary>Reads the device's JTAG IDCODE only.</summary>
    public static readonly ProgrammingAction ReadIdCode = new("READ_IDCODE", sendsBitstream: false, needsProgrammedDevice: false, needsAuthorizationCode: false);

    /// <summary>Compares the design digest the device stores with the job's design digest.</summary>
    public static readonly ProgrammingAction VerifyDigest = new("VERIFY_DIGEST", sendsBitstream: false, needsProgrammedDevice: true, needsAuthorizationCode: false);

    public static IReadOnlyList<ProgrammingAction> All { get; } = [Program, Verify, Erase, DeviceInfo, ReadIdCode, VerifyDigest];

    /// <summary>The actions a ticket can authorize (each device they touch spends a code).</summary>
    public static IReadOnlyList<ProgrammingAction> Ticketed { get; } = [Program, Verify, Erase];

    private ProgrammingAction(string name, bool sendsBitstream, bool needsProgrammedDevice, bool needsAuthorizationCode)
        : base(name)
    {
        SendsBitstream = sendsBitstream;
        NeedsProgrammedDevice = needsProgrammedDevice;
        NeedsAuthorizationCode = needsAuthorizationCode;
    }

    /// <summary>The station sends the encrypted bitstream to the device (PROGRAM writes it, VERIFY compares with it).</summary>
    public bool SendsBitstream { get; }

    /// <summary>The action makes sense only on a device that holds a design, so a blank device gets no code for it.</summary>
    public bool NeedsProgrammedDevice { get; }

    /// <summary>The action changes or proves the device's contents, so it needs a ticket and spends one code per device.</summary>
    public bool NeedsAuthorizationCode { get; }

    public static bool TryParse(string? text, out ProgrammingAction action) => TryParse(All, text, out action);

    /// <summary>Parses a name; <paramref name="invalid"/> makes the error for anything else (it knows where the text came from).</summary>
    public static ProgrammingAction Parse(string? text, Func<string, SppsException> invalid) =>
        TryParse(text, out var action) ? action : throw invalid($"{string.Join(", ", All.SkipLast(1).Select(a => a.Name))} or {All[^1].Name}, not '{text}'");

    /// <summary>Parses an action a ticket can authorize (PROGRAM, VERIFY or ERASE).</summary>
    public static ProgrammingAction ParseTicketed(string? text, Func<string, SppsException> invalid) =>
        TryParse(Ticketed, text, out var action) ? action
            : throw invalid(TryParse(text, out var readOnly)
                ? $"PROGRAM, VERIFY or ERASE: {readOnly} only reads the device and needs no ticket (set_programming_action -action {readOnly} runs it without one)"
                : $"PROGRAM, VERIFY or ERASE, not '{text}'");
}
