using Spps.Contracts.Hsm;

namespace Spps.Hsm.Conformance.Tests;

/// <summary>The conformance suite against the embedded software HSM.</summary>
public sealed class SoftwareHsmConformanceTests : HsmConformanceTests
{
    private static readonly string Home = Path.Combine(Path.GetTempPath(), "spps-software-hsm-" + Guid.NewGuid().ToString("N")[..12]);

    protected override string PluginName => "software";

    protected override HsmOpenOptions Options(string? uuid, bool createIfMissing) =>
        new("conformance", uuid, Home, createIfMissing, _ => null, _ => { });

    protected override string Code(Failure failure) => failure switch
    {
        Failure.WrongUsage => "SPPS3037",
        Failure.WrongKind => "SPPS3036",
        Failure.NotWrappable => "SPPS3031",
        Failure.WrappedKeyRejected => "SPPS3032",
        Failure.Destroyed => "SPPS3035",
        Failure.IdentityMismatch => "SPPS3013",
        Failure.LabelExists => "SPPS3020",
        Failure.ForeignHandle => "SPPS3034",
        _ => throw new ArgumentOutOfRangeException(nameof(failure)),
    };
}
