using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Spps.Hsm.Pkcs11;

/// <summary>
/// CKM_HKDF_DERIVE (PKCS#11 3.0, §2.43 "HKDF") parameters, marshalled by hand because Pkcs11Interop 5.3 binds
/// PKCS#11 2.40. Layout of CK_HKDF_PARAMS on 64-bit Unix (CK_ULONG and pointers of 8 bytes, natural alignment):
/// bExtract@0, bExpand@1, prfHashMechanism@8, ulSaltType@16, pSalt@24, ulSaltLen@32, hSaltKey@40, pInfo@48, ulInfoLen@56.
/// </summary>
internal sealed class TokenHkdf : IDisposable
{
    private const ulong SaltData = 0x2;   // CKF_HKDF_SALT_DATA
    private const ulong SaltNull = 0x1;   // CKF_HKDF_SALT_NULL
    private readonly IntPtr _salt;
    private readonly IntPtr _info;

    public TokenHkdf(byte[] salt, byte[] info)
    {
        if (Platform.NativeULongSize != 8 || Platform.StructPackingSize != 0)
            throw new Spps.Contracts.Hsm.HsmException(Pkcs11ErrorCodes.PlatformUnsupported,
                "CKM_HKDF_DERIVE parameters are built for the 64-bit Unix PKCS#11 ABI only; this platform uses another.");
        _salt = Copy(salt);
        _info = Copy(info);
        var parameter = new byte[64];
        parameter[0] = 1; // bExtract
        parameter[1] = 1; // bExpand
        BinaryPrimitives.WriteUInt64LittleEndian(parameter.AsSpan(8), (ulong)CKM.CKM_SHA384);
        BinaryPrimitives.WriteUInt64LittleEndian(parameter.AsSpan(16), salt.Length == 0 ? SaltNull : SaltData);
        BinaryPrimitives.WriteInt64LittleEndian(parameter.AsSpan(24), _salt.ToInt64());
        BinaryPrimitives.WriteUInt64LittleEndian(parameter.AsSpan(32), (ulong)salt.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(parameter.AsSpan(40), 0);
        BinaryPrimitives.WriteInt64LittleEndian(parameter.AsSpan(48), _info.ToInt64());
        BinaryPrimitives.WriteUInt64LittleEndian(parameter.AsSpan(56), (ulong)info.Length);
        if (!BitConverter.IsLittleEndian)
            throw new Spps.Contracts.Hsm.HsmException(Pkcs11ErrorCodes.PlatformUnsupported, "CKM_HKDF_DERIVE parameters are built for little-endian hosts only.");
        Parameter = parameter;
    }

    /// <summary>The CK_HKDF_PARAMS bytes; valid while this object is not disposed.</summary>
    public byte[] Parameter { get; }

    public IMechanism Mechanism(Pkcs11InteropFactories factories) => factories.MechanismFactory.Create(Pkcs11Profile.CkmHkdfDerive, Parameter);

    public void Dispose()
    {
        if (_salt != IntPtr.Zero) Marshal.FreeHGlobal(_salt);
        if (_info != IntPtr.Zero) Marshal.FreeHGlobal(_info);
    }

    private static IntPtr Copy(byte[] bytes)
    {
        if (bytes.Length == 0) return IntPtr.Zero;
        var pointer = Marshal.AllocHGlobal(bytes.Length);
        Marshal.Copy(bytes, 0, pointer, bytes.Length);
        return pointer;
    }
}
