using Spps.Contracts.Hsm;
using Xunit;

namespace Spps.Hsm.Conformance.Tests;

/// <summary>The conformance suite against the PKCS#11 plugin on a SoftHSM2 token (profile softhsm2).</summary>
[Collection(SoftHsmTokens.Name)]
public sealed class Pkcs11HsmConformanceTests : HsmConformanceTests
{
    protected override string PluginName => "pkcs11";

    protected override HsmOpenOptions Options(string? uuid, bool createIfMissing) =>
        new(SoftHsmEnvironment.Instance.Uri(SoftHsmEnvironment.ConformanceToken), uuid, SoftHsmEnvironment.Instance.Directory, createIfMissing, _ => null, _ => { });

    protected override string Code(Failure failure) => failure switch
    {
        Failure.WrongUsage => "SPPS3123",
        Failure.WrongKind => "SPPS3122",
        Failure.NotWrappable => "SPPS3124",
        Failure.WrappedKeyRejected => "SPPS3125",
        Failure.Destroyed => "SPPS3121",
        Failure.IdentityMismatch => "SPPS3112",
        Failure.LabelExists => "SPPS3127",
        Failure.ForeignHandle => "SPPS3120",
        _ => throw new ArgumentOutOfRangeException(nameof(failure)),
    };
}
