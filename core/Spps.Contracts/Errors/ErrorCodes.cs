// Each code is documented in docs/errors.md (what it means and what to do); a test keeps that table complete.
#pragma warning disable CS1591

namespace Spps;

/// <summary>
/// The one catalogue of error codes: core, plugins and MSBuild tasks. docs/errors.md lists every code
/// with what to do, and a test keeps the two in step. A code's <see cref="ErrorCategory"/> decides the
/// exit code; nothing is ever decided from a message.
/// </summary>
/// <remarks>
/// | range     | area                                                          |
/// |-----------|---------------------------------------------------------------|
/// | 1000s     | input files: containers, JDC, keyset, req/rep/job, status, HEX |
/// | 2000s     | scripts, command line, settings, projects                     |
/// | 3000s     | HSMs: 3000-3009 host, 3010-3099 software HSM, 3100-3199 PKCS#11 |
/// | 4000s     | security refusals: signatures, binding, replay, overbuild     |
/// | 5000s     | programmers and devices                                       |
/// | 6000s     | MSBuild tasks and job manifests                               |
/// | 9999      | internal error (a bug)                                        |
/// </remarks>
public static class ErrorCodes
{
    public static readonly ErrorCode FileNotFound = new("SPPS1001", nameof(FileNotFound), ErrorCategory.Input);
    public static readonly ErrorCode NotAnSppsFile = new("SPPS1002", nameof(NotAnSppsFile), ErrorCategory.Input);
    public static readonly ErrorCode WrongFileKind = new("SPPS1003", nameof(WrongFileKind), ErrorCategory.Input);
    public static readonly ErrorCode UnsupportedVersion = new("SPPS1004", nameof(UnsupportedVersion), ErrorCategory.Input);
    public static readonly ErrorCode MalformedHeader = new("SPPS1005", nameof(MalformedHeader), ErrorCategory.Input);
    public static readonly ErrorCode TruncatedFile = new("SPPS1006", nameof(TruncatedFile), ErrorCategory.Input);
    public static readonly ErrorCode MalformedSignature = new("SPPS1007", nameof(MalformedSignature), ErrorCategory.Input);
    public static readonly ErrorCode MissingField = new("SPPS1008", nameof(MissingField), ErrorCategory.Input);
    public static readonly ErrorCode InvalidField = new("SPPS1009", nameof(InvalidField), ErrorCategory.Input);
    public static readonly ErrorCode IntelHexInvalid = new("SPPS1010", nameof(IntelHexInvalid), ErrorCategory.Input);
    public static readonly ErrorCode JdcInvalid = new("SPPS1011", nameof(JdcInvalid), ErrorCategory.Input);
    public static readonly ErrorCode OutputNotWritable = new("SPPS1012", nameof(OutputNotWritable), ErrorCategory.Input);
    public static readonly ErrorCode ScriptSyntax = new("SPPS2001", nameof(ScriptSyntax), ErrorCategory.Usage);
    public static readonly ErrorCode UnknownCommand = new("SPPS2002", nameof(UnknownCommand), ErrorCategory.Usage);
    public static readonly ErrorCode UnknownOption = new("SPPS2003", nameof(UnknownOption), ErrorCategory.Usage);
    public static readonly ErrorCode MissingOption = new("SPPS2004", nameof(MissingOption), ErrorCategory.Usage);
    public static readonly ErrorCode InvalidOptionValue = new("SPPS2005", nameof(InvalidOptionValue), ErrorCategory.Usage);
    public static readonly ErrorCode NoProjectOpen = new("SPPS2006", nameof(NoProjectOpen), ErrorCategory.State);
    public static readonly ErrorCode ProjectExists = new("SPPS2007", nameof(ProjectExists), ErrorCategory.State);
    public static readonly ErrorCode ProjectInvalid = new("SPPS2008", nameof(ProjectInvalid), ErrorCategory.State);
    public static readonly ErrorCode NameNotFound = new("SPPS2009", nameof(NameNotFound), ErrorCategory.State);
    public static readonly ErrorCode NameExists = new("SPPS2010", nameof(NameExists), ErrorCategory.State);
    public static readonly ErrorCode HsmParamsMissing = new("SPPS2011", nameof(HsmParamsMissing), ErrorCategory.State);
    public static readonly ErrorCode WrongOrder = new("SPPS2012", nameof(WrongOrder), ErrorCategory.State);
    public static readonly ErrorCode OptionNotAllowed = new("SPPS2013", nameof(OptionNotAllowed), ErrorCategory.State);
    public static readonly ErrorCode ServiceAlreadyRunning = new("SPPS2014", nameof(ServiceAlreadyRunning), ErrorCategory.State);
    public static readonly ErrorCode Cancelled = new("SPPS2015", nameof(Cancelled), ErrorCategory.Cancelled);
    public static readonly ErrorCode UiTokenRequired = new("SPPS2016", nameof(UiTokenRequired), ErrorCategory.State);
    public static readonly ErrorCode SiteCredentialsInvalid = new("SPPS2017", nameof(SiteCredentialsInvalid), ErrorCategory.State);
    public static readonly ErrorCode MhsmInMaintenance = new("SPPS2018", nameof(MhsmInMaintenance), ErrorCategory.State);
    public static readonly ErrorCode IhpSingleDevice = new("SPPS2019", nameof(IhpSingleDevice), ErrorCategory.State);
    public static readonly ErrorCode HsmLocatorInvalid = new("SPPS3001", nameof(HsmLocatorInvalid), ErrorCategory.Hsm);
    public static readonly ErrorCode PluginNotFound = new("SPPS3002", nameof(PluginNotFound), ErrorCategory.Hsm);
    public static readonly ErrorCode SignatureInvalid = new("SPPS4001", nameof(SignatureInvalid), ErrorCategory.Security);
    public static readonly ErrorCode UnexpectedSigner = new("SPPS4002", nameof(UnexpectedSigner), ErrorCategory.Security);
    public static readonly ErrorCode WrongHsm = new("SPPS4003", nameof(WrongHsm), ErrorCategory.Security);
    public static readonly ErrorCode ReplyMismatch = new("SPPS4004", nameof(ReplyMismatch), ErrorCategory.Security);
    public static readonly ErrorCode TicketNotReserved = new("SPPS4005", nameof(TicketNotReserved), ErrorCategory.Security);
    public static readonly ErrorCode TicketAlreadyLoaded = new("SPPS4006", nameof(TicketAlreadyLoaded), ErrorCategory.Security);
    public static readonly ErrorCode TicketNotActive = new("SPPS4007", nameof(TicketNotActive), ErrorCategory.Security);
    public static readonly ErrorCode Overbuild = new("SPPS4008", nameof(Overbuild), ErrorCategory.Security);
    public static readonly ErrorCode ActionNotAuthorized = new("SPPS4009", nameof(ActionNotAuthorized), ErrorCategory.Security);
    public static readonly ErrorCode DeviceNotGenuine = new("SPPS4010", nameof(DeviceNotGenuine), ErrorCategory.Security);
    public static readonly ErrorCode LedgerCorrupt = new("SPPS4011", nameof(LedgerCorrupt), ErrorCategory.Security);
    public static readonly ErrorCode PayloadTampered = new("SPPS4012", nameof(PayloadTampered), ErrorCategory.Security);
    public static readonly ErrorCode CodesRemain = new("SPPS4013", nameof(CodesRemain), ErrorCategory.Security);
    public static readonly ErrorCode StatusInvalid = new("SPPS4014", nameof(StatusInvalid), ErrorCategory.Validation);
    public static readonly ErrorCode KeyFingerprintMismatch = new("SPPS4015", nameof(KeyFingerprintMismatch), ErrorCategory.Security);
    public static readonly ErrorCode DfkMissing = new("SPPS4016", nameof(DfkMissing), ErrorCategory.Security);
    public static readonly ErrorCode LedgerRolledBack = new("SPPS4017", nameof(LedgerRolledBack), ErrorCategory.Security);
    public static readonly ErrorCode SecondReply = new("SPPS4018", nameof(SecondReply), ErrorCategory.Security);
    public static readonly ErrorCode UntrustedSigner = new("SPPS4019", nameof(UntrustedSigner), ErrorCategory.Security);
    public static readonly ErrorCode StationNotAuthorized = new("SPPS4020", nameof(StationNotAuthorized), ErrorCategory.Security);
    public static readonly ErrorCode TicketsActive = new("SPPS4025", nameof(TicketsActive), ErrorCategory.Security);
    public static readonly ErrorCode JobsActive = new("SPPS4026", nameof(JobsActive), ErrorCategory.Security);
    public static readonly ErrorCode NoDevices = new("SPPS5001", nameof(NoDevices), ErrorCategory.Device);
    public static readonly ErrorCode DeviceRefused = new("SPPS5002", nameof(DeviceRefused), ErrorCategory.Device);
    public static readonly ErrorCode DeviceProtocol = new("SPPS5003", nameof(DeviceProtocol), ErrorCategory.Device);
    public static readonly ErrorCode WrongDevice = new("SPPS5004", nameof(WrongDevice), ErrorCategory.Device);
    public static readonly ErrorCode BoardBusy = new("SPPS5005", nameof(BoardBusy), ErrorCategory.Device);
    public static readonly ErrorCode ProgrammerInvalid = new("SPPS5006", nameof(ProgrammerInvalid), ErrorCategory.Device);
    public static readonly ErrorCode ServiceUnavailable = new("SPPS5007", nameof(ServiceUnavailable), ErrorCategory.Device);
    public static readonly ErrorCode DeviceStateRefused = new("SPPS5008", nameof(DeviceStateRefused), ErrorCategory.Device);
    public static readonly ErrorCode ProgrammerDisconnected = new("SPPS5009", nameof(ProgrammerDisconnected), ErrorCategory.Device);
    public static readonly ErrorCode ChainMismatch = new("SPPS5010", nameof(ChainMismatch), ErrorCategory.Device);
    public static readonly ErrorCode LedgerUnavailable = new("SPPS5011", nameof(LedgerUnavailable), ErrorCategory.Device);
    public static readonly ErrorCode DigestMismatch = new("SPPS5012", nameof(DigestMismatch), ErrorCategory.Device);

    /// <summary>An internal error: a bug, never an expected failure.</summary>
    public static readonly ErrorCode Internal = new("SPPS9999", nameof(Internal), ErrorCategory.Internal);

    /// <summary>The embedded software HSM (SPPS3010-SPPS3099).</summary>
    public static class SoftwareHsm
    {
        public static readonly ErrorCode NameInvalid = new("SPPS3010", nameof(NameInvalid), ErrorCategory.Hsm);
        public static readonly ErrorCode NotFound = new("SPPS3011", nameof(NotFound), ErrorCategory.Hsm);
        public static readonly ErrorCode DescriptorUnreadable = new("SPPS3012", nameof(DescriptorUnreadable), ErrorCategory.Hsm);
        public static readonly ErrorCode UuidMismatch = new("SPPS3013", nameof(UuidMismatch), ErrorCategory.Hsm);
        public static readonly ErrorCode PassphraseMissing = new("SPPS3014", nameof(PassphraseMissing), ErrorCategory.Hsm);
        public static readonly ErrorCode PassphraseWrong = new("SPPS3015", nameof(PassphraseWrong), ErrorCategory.Hsm);
        public static readonly ErrorCode PassphraseFileUnreadable = new("SPPS3016", nameof(PassphraseFileUnreadable), ErrorCategory.Hsm);
        public static readonly ErrorCode LabelExists = new("SPPS3020", nameof(LabelExists), ErrorCategory.Hsm);
        public static readonly ErrorCode KeyCorrupt = new("SPPS3021", nameof(KeyCorrupt), ErrorCategory.Hsm);
        public static readonly ErrorCode Unsupported = new("SPPS3030", nameof(Unsupported), ErrorCategory.Hsm);
        public static readonly ErrorCode NotWrappable = new("SPPS3031", nameof(NotWrappable), ErrorCategory.Hsm);
        public static readonly ErrorCode WrappedKeyRejected = new("SPPS3032", nameof(WrappedKeyRejected), ErrorCategory.Hsm);
        public static readonly ErrorCode PeerKeyInvalid = new("SPPS3033", nameof(PeerKeyInvalid), ErrorCategory.Hsm);
        public static readonly ErrorCode ForeignHandle = new("SPPS3034", nameof(ForeignHandle), ErrorCategory.Hsm);
        public static readonly ErrorCode KeyDestroyed = new("SPPS3035", nameof(KeyDestroyed), ErrorCategory.Hsm);
        public static readonly ErrorCode WrongKeyKind = new("SPPS3036", nameof(WrongKeyKind), ErrorCategory.Hsm);
        public static readonly ErrorCode UsageNotAllowed = new("SPPS3037", nameof(UsageNotAllowed), ErrorCategory.Hsm);
    }

    /// <summary>The PKCS#11 plugin (SPPS3100-SPPS3199); docs/hsm.md says what to do for each.</summary>
    public static class Pkcs11
    {
        public static readonly ErrorCode UriSyntax = new("SPPS3100", nameof(UriSyntax), ErrorCategory.Hsm);
        public static readonly ErrorCode UriAttributeRefused = new("SPPS3101", nameof(UriAttributeRefused), ErrorCategory.Hsm);
        public static readonly ErrorCode PinUnavailable = new("SPPS3102", nameof(PinUnavailable), ErrorCategory.Hsm);
        public static readonly ErrorCode ModuleUnavailable = new("SPPS3103", nameof(ModuleUnavailable), ErrorCategory.Hsm);
        public static readonly ErrorCode TokenNotFound = new("SPPS3104", nameof(TokenNotFound), ErrorCategory.Hsm);
        public static readonly ErrorCode TokenAmbiguous = new("SPPS3105", nameof(TokenAmbiguous), ErrorCategory.Hsm);
        public static readonly ErrorCode PinIncorrect = new("SPPS3106", nameof(PinIncorrect), ErrorCategory.Hsm);
        public static readonly ErrorCode PinLocked = new("SPPS3107", nameof(PinLocked), ErrorCategory.Hsm);
        public static readonly ErrorCode MechanismMissing = new("SPPS3108", nameof(MechanismMissing), ErrorCategory.Hsm);
        public static readonly ErrorCode UnknownProfile = new("SPPS3109", nameof(UnknownProfile), ErrorCategory.Hsm);
        public static readonly ErrorCode WrapFormatMismatch = new("SPPS3110", nameof(WrapFormatMismatch), ErrorCategory.Hsm);
        public static readonly ErrorCode IdentityMissing = new("SPPS3111", nameof(IdentityMissing), ErrorCategory.Hsm);
        public static readonly ErrorCode IdentityMismatch = new("SPPS3112", nameof(IdentityMismatch), ErrorCategory.Hsm);
        public static readonly ErrorCode TokenUnusable = new("SPPS3113", nameof(TokenUnusable), ErrorCategory.Hsm);
        public static readonly ErrorCode ForeignHandle = new("SPPS3120", nameof(ForeignHandle), ErrorCategory.Hsm);
        public static readonly ErrorCode KeyDestroyed = new("SPPS3121", nameof(KeyDestroyed), ErrorCategory.Hsm);
        public static readonly ErrorCode WrongKeyKind = new("SPPS3122", nameof(WrongKeyKind), ErrorCategory.Hsm);
        public static readonly ErrorCode UsageNotAllowed = new("SPPS3123", nameof(UsageNotAllowed), ErrorCategory.Hsm);
        public static readonly ErrorCode NotWrappable = new("SPPS3124", nameof(NotWrappable), ErrorCategory.Hsm);
        public static readonly ErrorCode WrappedKeyRejected = new("SPPS3125", nameof(WrappedKeyRejected), ErrorCategory.Hsm);
        public static readonly ErrorCode PeerKeyInvalid = new("SPPS3126", nameof(PeerKeyInvalid), ErrorCategory.Hsm);
        public static readonly ErrorCode LabelExists = new("SPPS3127", nameof(LabelExists), ErrorCategory.Hsm);
        public static readonly ErrorCode Unsupported = new("SPPS3128", nameof(Unsupported), ErrorCategory.Hsm);
        public static readonly ErrorCode UntrustedWrappingKey = new("SPPS3129", nameof(UntrustedWrappingKey), ErrorCategory.Hsm);
        public static readonly ErrorCode KeyObjectInconsistent = new("SPPS3130", nameof(KeyObjectInconsistent), ErrorCategory.Hsm);
        public static readonly ErrorCode TokenOperationFailed = new("SPPS3190", nameof(TokenOperationFailed), ErrorCategory.Hsm);
        public static readonly ErrorCode PlatformUnsupported = new("SPPS3191", nameof(PlatformUnsupported), ErrorCategory.Hsm);
    }

    /// <summary>The MSBuild tasks (SPPS6000-SPPS6099); docs/msbuild.md lists them.</summary>
    public static class Build
    {
        public static readonly ErrorCode ManifestSyntax = new("SPPS6000", nameof(ManifestSyntax), ErrorCategory.Input);
        public static readonly ErrorCode ManifestUnknownField = new("SPPS6001", nameof(ManifestUnknownField), ErrorCategory.Input);
        public static readonly ErrorCode ManifestMissingField = new("SPPS6002", nameof(ManifestMissingField), ErrorCategory.Input);
        public static readonly ErrorCode ManifestInvalidValue = new("SPPS6003", nameof(ManifestInvalidValue), ErrorCategory.Input);
        public static readonly ErrorCode ManifestFileNotFound = new("SPPS6004", nameof(ManifestFileNotFound), ErrorCategory.Input);
        public static readonly ErrorCode ManifestDuplicateName = new("SPPS6005", nameof(ManifestDuplicateName), ErrorCategory.Input);
        public static readonly ErrorCode ManifestUnknownName = new("SPPS6006", nameof(ManifestUnknownName), ErrorCategory.Input);
        public static readonly ErrorCode ManifestMaxDevice = new("SPPS6007", nameof(ManifestMaxDevice), ErrorCategory.Input);
        public static readonly ErrorCode ManifestDuplicateOutput = new("SPPS6008", nameof(ManifestDuplicateOutput), ErrorCategory.Input);
        public static readonly ErrorCode RequestMissingForReply = new("SPPS6020", nameof(RequestMissingForReply), ErrorCategory.Input);
        public static readonly ErrorCode ReplyForOtherRequest = new("SPPS6021", nameof(ReplyForOtherRequest), ErrorCategory.Input);
        public static readonly ErrorCode RequestReplaced = new("SPPS6022", nameof(RequestReplaced), ErrorCategory.Input);
        public static readonly ErrorCode FingerprintNotPinned = new("SPPS6023", nameof(FingerprintNotPinned), ErrorCategory.Input);
        public static readonly ErrorCode SecretInProperty = new("SPPS6030", nameof(SecretInProperty), ErrorCategory.Input);
        public static readonly ErrorCode HsmPropertyInvalid = new("SPPS6031", nameof(HsmPropertyInvalid), ErrorCategory.Input);
        public static readonly ErrorCode KeysetMissing = new("SPPS6032", nameof(KeysetMissing), ErrorCategory.Input);
        public static readonly ErrorCode KeysetExists = new("SPPS6033", nameof(KeysetExists), ErrorCategory.Input);
        public static readonly ErrorCode StatusNoRecord = new("SPPS6040", nameof(StatusNoRecord), ErrorCategory.Input);
        public static readonly ErrorCode StatusInvalid = new("SPPS6041", nameof(StatusInvalid), ErrorCategory.Validation);
        public static readonly ErrorCode StatusDeviceWithoutCoc = new("SPPS6042", nameof(StatusDeviceWithoutCoc), ErrorCategory.Input);
        public static readonly ErrorCode StatusFileMissing = new("SPPS6043", nameof(StatusFileMissing), ErrorCategory.Input);
        public static readonly ErrorCode ReplyFileMissing = new("SPPS6050", nameof(ReplyFileMissing), ErrorCategory.Input);
        public static readonly ErrorCode ReplyMatchesNoRequest = new("SPPS6051", nameof(ReplyMatchesNoRequest), ErrorCategory.Input);
        public static readonly ErrorCode JdcItemInvalid = new("SPPS6060", nameof(JdcItemInvalid), ErrorCategory.Input);
        public static readonly ErrorCode Unexpected = new("SPPS6099", nameof(Unexpected), ErrorCategory.Input);
    }

    /// <summary>Every code, for the catalogue test and the docs.</summary>
    public static IReadOnlyList<ErrorCode> All { get; } = ErrorCode.Collect(typeof(ErrorCodes));

    /// <summary>The code with this ID (e.g. from another process's answer), or null when the catalogue has none.</summary>
    public static ErrorCode? Find(string? id) => All.FirstOrDefault(c => c.Id == id);
}
