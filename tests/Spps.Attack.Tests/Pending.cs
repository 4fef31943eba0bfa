namespace Spps.Attack.Tests;

/// <summary>
/// Every defence an attack test waits for, in one list (issue 8). A test marked
/// <c>[PendingDefenceFact(Pending.X)]</c> (or <c>PendingDefenceTheory</c>) asserts the defended behaviour and is skipped until
/// that defence lands; then its attribute becomes <c>[Fact]</c> (<c>[Theory]</c>). <c>SPPS_ATTACK_PENDING=run dotnet test tests/Spps.Attack.Tests</c>
/// runs the pending ones too, to see which defences hold already.
/// </summary>
public static class Pending
{
    public const string HsmHeldCount =
        "the count state (per ticket: count, chain head) held inside the HSM; a ledger that disagrees stops the M-HSM with SPPS4017 (issue 8, item 5)";

    public const string OeChainMemory =
        "the OE remembers each ticket's chain and refuses a later status that does not extend it (issue 8, item 5)";

    public const string LedgerParse =
        "every ledger parse error is a tamper code (SPPS4011), never an internal error (issue 8, item 8)";

    public const string CodeBoundToAction =
        "ticket and action are part of the K_dev derivation and the device checks them (issue 8, item 3)";

    public const string OneRequestOneReply =
        "the M-HSM refuses a request it has already answered (SPPS4018) or answers it again identically (issue 8, item 4)";

    public const string OeOneReplyPerExport =
        "the OE refuses a second reply for tickets it has already exported (SPPS4018, issue 8, item 4)";

    public const string StateBeforeCode =
        "the station reads the device's state before it asks for a code: no ERASE/VERIFY code for a blank device, no second PROGRAM of a device holding the design (issue 8, item 6)";

    public const string OeFlagsDuplicates =
        "the OE's report flags more CoCs than devices and devices programmed more than once (issue 8, item 6)";
}

/// <summary>A test of an attack whose defence is still pending: skipped unless SPPS_ATTACK_PENDING=run.</summary>
public sealed class PendingDefenceFactAttribute : FactAttribute
{
    public PendingDefenceFactAttribute(string defence)
    {
        Defence = defence;
        if (Environment.GetEnvironmentVariable("SPPS_ATTACK_PENDING") != "run") Skip = "defence pending: " + defence;
    }

    public string Defence { get; }
}

/// <summary>A theory over an attack whose defence is still pending: skipped unless SPPS_ATTACK_PENDING=run.</summary>
public sealed class PendingDefenceTheoryAttribute : TheoryAttribute
{
    public PendingDefenceTheoryAttribute(string defence)
    {
        Defence = defence;
        if (Environment.GetEnvironmentVariable("SPPS_ATTACK_PENDING") != "run") Skip = "defence pending: " + defence;
    }

    public string Defence { get; }
}
