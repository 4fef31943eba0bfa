using System.Runtime.InteropServices;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Spps.Hsm.Conformance.Tests;

/// <summary>
/// A second, independent PKCS#11 application on the test tokens — what an auditor or the token's security
/// officer sees. It loads a copy of the module file: the dynamic loader treats it as another library, so it has
/// its own C_Initialize and login state, separate from the plugin's, while sharing the token files.
/// Only test classes in the <see cref="SoftHsmTokens"/> collection may use it: see there why.
/// </summary>
internal static class TokenInspector
{
    private static readonly Lazy<(IPkcs11Library Library, Pkcs11InteropFactories Factories)> Shared = new(Load);

    public static Pkcs11InteropFactories Factories => Shared.Value.Factories;

    /// <summary>Opens a read-write session on the token, logged in as <paramref name="user"/>.</summary>
    public static ISession Open(string token, CKU user, string pin)
    {
        var slot = Shared.Value.Library.GetSlotList(SlotsType.WithTokenPresent).Single(s => s.GetTokenInfo().Label.Trim() == token);
        var session = slot.OpenSession(SessionType.ReadWrite);
        try
        {
            session.Login(user, pin);
        }
        catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
        }
        return session;
    }

    private static (IPkcs11Library, Pkcs11InteropFactories) Load()
    {
        var environment = SoftHsmEnvironment.Instance;
        var copy = Path.Combine(environment.Directory, "inspector-" + Path.GetFileName(environment.ModulePath));
        File.Copy(environment.ModulePath, copy, overwrite: true);
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(IPkcs11Library).Assembly, (name, _, _) =>
                name == "libdl" && NativeLibrary.TryLoad("libdl.so.2", out var handle) ? handle : IntPtr.Zero);
        }
        catch (InvalidOperationException)
        {
            // The plugin shares this Pkcs11Interop assembly and registered its resolver first.
        }
        // Pkcs11Interop's one-time platform detection is not thread-safe, and this process shares the plugin's copy of
        // the assembly. The plugin detects under a lock on the Platform type (Pkcs11Platform.EnsureDetected), so
        // detect under the same lock before the factories' constructor would do it unguarded.
        lock (typeof(Platform))
        {
            _ = Platform.IsLinux;
            _ = Platform.NativeULongSize;
            _ = Platform.StructPackingSize;
        }
        var factories = new Pkcs11InteropFactories();
        return (factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, copy, AppType.MultiThreaded), factories);
    }
}
