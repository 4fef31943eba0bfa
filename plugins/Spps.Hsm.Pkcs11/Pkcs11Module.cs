using System.Collections.Concurrent;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Spps.Contracts.Hsm;
using LowLevel = Net.Pkcs11Interop.LowLevelAPI80;

namespace Spps.Hsm.Pkcs11;

/// <summary>
/// One loaded and initialized PKCS#11 module. A module is loaded once per process and kept until exit:
/// C_Initialize/C_Finalize are process-wide, and finalizing under another open HSM would break it.
/// </summary>
internal sealed class Pkcs11Module
{
    private static readonly ConcurrentDictionary<string, Lazy<Pkcs11Module>> Loaded = new(StringComparer.Ordinal);
    private readonly Lazy<LowLevel.Pkcs11Library?> _lowLevel;

    private Pkcs11Module(string path, IPkcs11Library library, Pkcs11InteropFactories factories)
    {
        Path = path;
        Library = library;
        Factories = factories;
        _lowLevel = new Lazy<LowLevel.Pkcs11Library?>(() =>
            Platform.NativeULongSize == 8 && Platform.StructPackingSize == 0 ? new LowLevel.Pkcs11Library(path) : null);
    }

    public string Path { get; }
    public IPkcs11Library Library { get; }
    public Pkcs11InteropFactories Factories { get; }

    /// <summary>
    /// Direct access to the same module's function list, for the calls the high-level API does not offer
    /// (C_DigestKey inside a multi-part digest). Only for 64-bit Unix ABIs (CK_ULONG of 8 bytes, natural packing).
    /// </summary>
    public LowLevel.Pkcs11Library LowLevel => _lowLevel.Value
        ?? throw new HsmException(Pkcs11ErrorCodes.PlatformUnsupported,
            "This profile needs C_DigestKey through the 64-bit Unix PKCS#11 ABI, which this platform does not use. Use a profile that derives inside the token (profile=pkcs11v3).");

    public static Pkcs11Module Load(string modulePath)
    {
        var fullPath = System.IO.Path.GetFullPath(modulePath);
        var lazy = Loaded.GetOrAdd(fullPath, p => new Lazy<Pkcs11Module>(() => Create(p), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failed load is not cached, whatever the failure: the operator may install the module and retry in
            // the same process, and an unexpected exception must not stay the answer for this path until exit
            // (Lazy caches the exception of its factory).
            Loaded.TryRemove(new KeyValuePair<string, Lazy<Pkcs11Module>>(fullPath, lazy));
            throw;
        }
    }

    private static Pkcs11Module Create(string path)
    {
        if (!File.Exists(path))
            throw new HsmException(Pkcs11ErrorCodes.ModuleUnavailable,
                $"PKCS#11 module not found: {path}. Install it (for SoftHSM2 on Debian: apt-get install softhsm2) or fix module-path in the URI.");
        LibdlResolver.EnsureRegistered();
        Pkcs11Platform.EnsureDetected();
        var factories = new Pkcs11InteropFactories();
        try
        {
            var library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, path, AppType.MultiThreaded);
            return new Pkcs11Module(path, library, factories);
        }
        catch (Pkcs11Exception e)
        {
            throw new HsmException(Pkcs11ErrorCodes.ModuleUnavailable,
                $"PKCS#11 module {path} failed to initialize ({e.RV} from {e.Method}). For SoftHSM2 check SOFTHSM2_CONF and its token directory.", e);
        }
        catch (Exception e) when (e is UnmanagedException or DllNotFoundException or BadImageFormatException or EntryPointNotFoundException)
        {
            throw new HsmException(Pkcs11ErrorCodes.ModuleUnavailable,
                $"{path} cannot be loaded as a PKCS#11 module ({e.GetType().Name}: {e.Message}). Check that it is a PKCS#11 library for this architecture.", e);
        }
    }
}
