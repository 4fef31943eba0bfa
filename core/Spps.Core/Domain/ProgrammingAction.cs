namespace Spps.Core.Domain;

/// <summary>
/// What a ticket authorizes a station to do to a device: a closed set of objects that carry their own rules
/// (which device state the action needs, whether it sends the bitstream). Compared by name.
/// </summary>
public sealed class ProgrammingAction : ClosedSet<ProgrammingAction>
{
    public static readonly ProgrammingAction Program = new("PROGRAM", sendsBitstream: true, needsProgrammedDevice: false);
    public static readonly ProgrammingAction Verify = new("VERIFY", sendsBitstream: true, needsProgrammedDevice: true);
    public static readonly ProgrammingAction Erase = new("ERASE", sendsBitstream: false, needsProgrammedDevice: true);

    public static IReadOnlyList<ProgrammingAction> All { get; } = [Program, Verify, Erase];

    private ProgrammingAction(string name, bool sendsBitstream, bool needsProgrammedDevice)
        : base(name)
    {
        SendsBitstream = sendsBitstream;
        NeedsProgrammedDevice = needsProgrammedDevice;
    }

    /// <summary>The station sends the encrypted bitstream to the device (PROGRAM writes it, VERIFY compares with it).</summary>
    public bool SendsBitstream { get; }

    /// <summary>The action makes sense only on a device that holds a design, so a blank device gets no code for it.</summary>
    public bool NeedsProgrammedDevice { get; }

    public static bool TryParse(string? text, out ProgrammingAction action) => TryParse(All, text, out action);

    /// <summary>Parses a name; <paramref name="invalid"/> makes the error for anything else (it knows where the text came from).</summary>
    public static ProgrammingAction Parse(string? text, Func<string, SppsException> invalid) =>
        TryParse(text, out var action) ? action : throw invalid($"PROGRAM, VERIFY or ERASE, not '{text}'");
}
