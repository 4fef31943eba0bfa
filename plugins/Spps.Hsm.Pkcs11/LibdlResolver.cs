using System.Reflection;
using System.Runtime.InteropServices;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Spps.Hsm.Pkcs11;

/// <summary>
/// Pkcs11Interop 5.3 imports dlopen/dlsym from "libdl", but current glibc ships only <c>libdl.so.2</c>
/// (the unversioned name comes with the -dev package). Maps the name for the Pkcs11Interop assembly as
/// loaded in this plugin's load context.
/// </summary>
internal static class LibdlResolver
{
    private static readonly object Gate = new();
    private static bool _registered;

    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered) return;
            try
            {
                NativeLibrary.SetDllImportResolver(typeof(IPkcs11Library).Assembly, Resolve);
            }
            catch (InvalidOperationException)
            {
                // A resolver is already set for this assembly instance (by the host); it is responsible for libdl then.
            }
            _registered = true;
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != "libdl") return IntPtr.Zero;
        foreach (var candidate in (string[])["libdl.so.2", "libc.so.6", "libdl.so"])
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        return IntPtr.Zero;
    }
}
