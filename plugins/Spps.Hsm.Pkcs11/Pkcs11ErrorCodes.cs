namespace Spps.Hsm.Pkcs11;

/// <summary>Stable error codes of the PKCS#11 plugin (SPPS3100-SPPS3199); docs/hsm.md says what to do for each.</summary>
internal static class Pkcs11ErrorCodes
{
    public const string UriSyntax = "SPPS3100";
    public const string UriAttributeRefused = "SPPS3101";
    public const string PinUnavailable = "SPPS3102";
    public const string ModuleUnavailable = "SPPS3103";
    public const string TokenNotFound = "SPPS3104";
    public const string TokenAmbiguous = "SPPS3105";
    public const string PinIncorrect = "SPPS3106";
    public const string PinLocked = "SPPS3107";
    public const string MechanismMissing = "SPPS3108";
    public const string UnknownProfile = "SPPS3109";
    public const string WrapFormatMismatch = "SPPS3110";
    public const string IdentityMissing = "SPPS3111";
    public const string IdentityMismatch = "SPPS3112";
    public const string TokenUnusable = "SPPS3113";
    public const string ForeignHandle = "SPPS3120";
    public const string KeyDestroyed = "SPPS3121";
    public const string WrongKeyKind = "SPPS3122";
    public const string UsageNotAllowed = "SPPS3123";
    public const string NotWrappable = "SPPS3124";
    public const string WrappedKeyRejected = "SPPS3125";
    public const string PeerKeyInvalid = "SPPS3126";
    public const string LabelExists = "SPPS3127";
    public const string Unsupported = "SPPS3128";
    public const string UntrustedWrappingKey = "SPPS3129";
    public const string KeyObjectInconsistent = "SPPS3130";
    public const string TokenOperationFailed = "SPPS3190";
    public const string PlatformUnsupported = "SPPS3191";
}
