using System.Runtime.InteropServices;

namespace Spps.Hsm.Conformance.Tests;

/// <summary>The C library's environment, which native PKCS#11 modules read with getenv().</summary>
internal static class NativeEnvironment
{
    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    public static extern int SetEnv(string name, string value, int overwrite);
}
