using Xunit;

namespace Spps.Hsm.Conformance.Tests;

/// <summary>
/// The test classes that use the SoftHSM2 tokens of <see cref="SoftHsmEnvironment"/>. xunit runs the classes of one
/// collection one after the other, so the plugin's instance of libsofthsm2 and <see cref="TokenInspector"/>'s never
/// work on the token files at the same time.
/// </summary>
/// <remarks>
/// They must not: SoftHSM2 keeps a file-backed token consistent between applications with POSIX record locks
/// (fcntl), and those locks belong to the process, not to a library instance, so two instances loaded in one process
/// do not exclude each other. Every C_Login rewrites the token's token.object in place (truncate, then write), and
/// C_GetTokenInfo, which both look-ups by label call on every slot, reads that file: an instance reading it while the
/// other one writes finds it empty or short, marks the token invalid and returns CKR_GENERAL_ERROR. Two separate
/// processes (pkcs11-tool, softhsm2-util) are kept apart by their locks and need no collection.
/// </remarks>
[CollectionDefinition(Name)]
public sealed class SoftHsmTokens
{
    public const string Name = "SoftHSM2 tokens";
}
