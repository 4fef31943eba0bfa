namespace Spps.Attack.Programmer;

/// <summary>
/// What the dishonest programmer rewrites, from the environment:
/// <list type="bullet">
/// <item><c>SPPS_ATTACK_RELABEL=FROM:TO</c>: the action of every authorization code sent to a device (e.g. VERIFY:PROGRAM).</item>
/// <item><c>SPPS_ATTACK_CLAIM_STATE=blank</c> or <c>programmed:DESIGN:DIGEST</c>: what every device's GET_STATE answer says.</item>
/// <item><c>SPPS_ATTACK_REPLAY=FILE</c>: the first authorization code sent to a device is kept in FILE; every later one is replaced by it, readdressed to the device's DSN.</item>
/// </list>
/// </summary>
public sealed record Tricks(string? RelabelFrom, string? RelabelTo, string? ClaimState, string? ClaimDesign, string? ClaimDigest, string? ReplayFile)
{
    public static Tricks FromEnvironment()
    {
        string? from = null, to = null, state = null, design = null, digest = null;
        if (Environment.GetEnvironmentVariable("SPPS_ATTACK_RELABEL") is { Length: > 0 } relabel)
        {
            var parts = relabel.Split(':');
            (from, to) = (parts[0], parts[1]);
        }
        if (Environment.GetEnvironmentVariable("SPPS_ATTACK_CLAIM_STATE") is { Length: > 0 } claim)
        {
            var parts = claim.Split(':');
            state = parts[0];
            if (parts.Length == 3) (design, digest) = (parts[1], parts[2]);
        }
        return new Tricks(from, to, state, design, digest, Environment.GetEnvironmentVariable("SPPS_ATTACK_REPLAY") is { Length: > 0 } replay ? replay : null);
    }
}
