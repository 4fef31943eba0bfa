namespace Spps.Attack.Tests;

/// <summary>
/// Every defence an attack test waits for, in one list (issue 8). A test marked
/// <c>[PendingDefenceFact(Pending.X)]</c> (or <c>PendingDefenceTheory</c>) asserts the defended behaviour and is skipped until
/// that defence lands; then its attribute becomes <c>[Fact]</c> (<c>[Theory]</c>). <c>SPPS_ATTACK_PENDING=run dotnet test tests/Spps.Attack.Tests</c>
/// runs the pending ones too, to see which defences hold already.
/// </summary>
public static class Pending
{
    // Every defence the suite waited for has landed; a new attack whose defence is not built yet adds its constant here.
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
