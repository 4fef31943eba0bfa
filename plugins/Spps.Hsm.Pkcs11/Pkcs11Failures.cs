using Net.Pkcs11Interop.Common;
using Spps.Contracts.Hsm;

namespace Spps.Hsm.Pkcs11;

/// <summary>Turns a token's CKR answer into an <see cref="HsmException"/> that says what to do; the CKR name is detail.</summary>
internal static class Pkcs11Failures
{
    public static HsmException From(Pkcs11Exception e, string operation, string tokenName) => e.RV switch
    {
        CKR.CKR_PIN_INCORRECT => new HsmException(Pkcs11ErrorCodes.PinIncorrect,
            $"Wrong PIN for token '{tokenName}' (CKR_PIN_INCORRECT). Check the PIN file named by pin-source or SPPS_PKCS11_PIN; repeated failures may lock the token.", e),
        CKR.CKR_PIN_LOCKED or CKR.CKR_PIN_EXPIRED => new HsmException(Pkcs11ErrorCodes.PinLocked,
            $"The user PIN of token '{tokenName}' is locked or expired ({e.RV}). The token's security officer must unlock or reset it.", e),
        CKR.CKR_PIN_LEN_RANGE or CKR.CKR_PIN_INVALID => new HsmException(Pkcs11ErrorCodes.PinIncorrect,
            $"The PIN given for token '{tokenName}' has an invalid length or characters ({e.RV}). Check the PIN file or SPPS_PKCS11_PIN.", e),
        CKR.CKR_MECHANISM_INVALID or CKR.CKR_MECHANISM_PARAM_INVALID => new HsmException(Pkcs11ErrorCodes.MechanismMissing,
            $"Token '{tokenName}' refused the mechanism for {operation} ({e.RV}). Choose a profile that matches this token (profile=...) — see docs/hsm.md.", e),
        CKR.CKR_KEY_FUNCTION_NOT_PERMITTED => new HsmException(Pkcs11ErrorCodes.UsageNotAllowed,
            $"Token '{tokenName}' does not permit {operation} with this key (CKR_KEY_FUNCTION_NOT_PERMITTED): the key was created for other uses.", e),
        CKR.CKR_KEY_NOT_WRAPPABLE => new HsmException(Pkcs11ErrorCodes.UntrustedWrappingKey,
            $"Token '{tokenName}' refused {operation} (CKR_KEY_NOT_WRAPPABLE): the key may only be wrapped under a wrapping key the security officer marked trusted (CKA_TRUSTED).", e),
        CKR.CKR_KEY_UNEXTRACTABLE => new HsmException(Pkcs11ErrorCodes.NotWrappable,
            $"Token '{tokenName}' refused {operation} (CKR_KEY_UNEXTRACTABLE): the key was created to stay inside the token.", e),
        CKR.CKR_TOKEN_WRITE_PROTECTED or CKR.CKR_SESSION_READ_ONLY => new HsmException(Pkcs11ErrorCodes.TokenUnusable,
            $"Token '{tokenName}' is write-protected ({e.RV}); {operation} needs a writable token.", e),
        CKR.CKR_DEVICE_MEMORY => new HsmException(Pkcs11ErrorCodes.TokenUnusable,
            $"Token '{tokenName}' is out of memory during {operation} (CKR_DEVICE_MEMORY): destroy unused keys.", e),
        CKR.CKR_USER_NOT_LOGGED_IN or CKR.CKR_SESSION_HANDLE_INVALID or CKR.CKR_SESSION_CLOSED or CKR.CKR_DEVICE_REMOVED or CKR.CKR_TOKEN_NOT_PRESENT
            => new HsmException(Pkcs11ErrorCodes.TokenUnusable,
                $"Token '{tokenName}' was removed, reset or logged out during {operation} ({e.RV}). Reopen the HSM.", e),
        _ => new HsmException(Pkcs11ErrorCodes.TokenOperationFailed,
            $"Token '{tokenName}' failed {operation} ({e.RV} from {e.Method}). Check the token's own log; if it persists, report it with this message.", e),
    };
}
