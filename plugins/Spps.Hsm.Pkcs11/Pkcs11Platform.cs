using Net.Pkcs11Interop.Common;

namespace Spps.Hsm.Pkcs11;

/// <summary>
/// Runs Pkcs11Interop's platform detection once, serialized, before any PKCS#11 library is loaded.
/// </summary>
/// <remarks>
/// Pkcs11Interop 5.3 detects the operating system lazily, on the first read of a <see cref="Platform"/> property
/// (the <c>Pkcs11InteropFactories</c> constructor reads <see cref="Platform.NativeULongSize"/>), and without a lock:
/// <c>DetectPlatform</c> returns if one of its three flags is set, otherwise it sets one through the public
/// <c>IsLinux</c>/<c>IsWindows</c>/<c>IsMacOsX</c> setter, and that setter throws
/// <see cref="NotSupportedException"/> ("Runtime platform has already been determined") when a flag is already set.
/// Two threads that both find the flags unset both call the setter, and the later one throws.
/// The lock is taken on the <see cref="Platform"/> type itself. That is exactly as wide as the state it guards:
/// one set of flags per loaded copy of the Pkcs11Interop assembly, whichever load context loaded it. Other code in
/// the process that shares that copy (the host, another plugin, a test's second PKCS#11 application) serializes with
/// this plugin by taking the same lock, without referencing the plugin. Pkcs11Interop itself never locks on it.
/// </remarks>
internal static class Pkcs11Platform
{
    public static void EnsureDetected()
    {
        lock (typeof(Platform))
        {
            // IsLinux runs the detection; the two sizes are computed from it once and cached.
            _ = Platform.IsLinux;
            _ = Platform.NativeULongSize;
            _ = Platform.StructPackingSize;
        }
    }
}
