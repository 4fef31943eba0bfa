namespace Spps.Core;

/// <summary>
/// Every error code a user can meet, in one place. docs/errors.md lists them with what to do.
/// </summary>
/// <remarks>
/// | range    | area                                                        |
/// |----------|-------------------------------------------------------------|
/// | 1000s    | input files: containers, JDC, keyset, req/rep/job, status, HEX |
/// | 2000s    | scripts, command line, settings, projects                  |
/// | 3000s    | HSMs (raised by plugins as HsmException)                    |
/// | 4000s    | security refusals: signatures, binding, replay, overbuild   |
/// | 5000s    | programmers and devices                                     |
/// | 6000s    | MSBuild tasks and job manifests                             |
/// </remarks>
public static class ErrorCodes
{
    public const string FileNotFound = "SPPS1001";
    public const string NotAnSppsFile = "SPPS1002";
    public const string WrongFileKind = "SPPS1003";
    public const string UnsupportedVersion = "SPPS1004";
    public const string MalformedHeader = "SPPS1005";
    public const string TruncatedFile = "SPPS1006";
    public const string MalformedSignature = "SPPS1007";
    public const string MissingField = "SPPS1008";
    public const string InvalidField = "SPPS1009";
    public const string IntelHexInvalid = "SPPS1010";
    public const string JdcInvalid = "SPPS1011";
    public const string OutputNotWritable = "SPPS1012";

    public const string ScriptSyntax = "SPPS2001";
    public const string UnknownCommand = "SPPS2002";
    public const string UnknownOption = "SPPS2003";
    public const string MissingOption = "SPPS2004";
    public const string InvalidOptionValue = "SPPS2005";
    public const string NoProjectOpen = "SPPS2006";
    public const string ProjectExists = "SPPS2007";
    public const string ProjectInvalid = "SPPS2008";
    public const string NameNotFound = "SPPS2009";
    public const string NameExists = "SPPS2010";
    public const string HsmParamsMissing = "SPPS2011";
    public const string WrongOrder = "SPPS2012";
    public const string OptionNotAllowed = "SPPS2013";
    public const string ServiceAlreadyRunning = "SPPS2014";
    public const string SiteCredentialsInvalid = "SPPS2015";

    public const string HsmLocatorInvalid = "SPPS3001";
    public const string PluginNotFound = "SPPS3002";

    public const string SignatureInvalid = "SPPS4001";
    public const string UnexpectedSigner = "SPPS4002";
    public const string WrongHsm = "SPPS4003";
    public const string ReplyMismatch = "SPPS4004";
    public const string TicketNotReserved = "SPPS4005";
    public const string TicketAlreadyLoaded = "SPPS4006";
    public const string TicketNotActive = "SPPS4007";
    public const string Overbuild = "SPPS4008";
    public const string ActionNotAuthorized = "SPPS4009";
    public const string DeviceNotGenuine = "SPPS4010";
    public const string LedgerCorrupt = "SPPS4011";
    public const string PayloadTampered = "SPPS4012";
    public const string CodesRemain = "SPPS4013";
    public const string StatusInvalid = "SPPS4014";
    public const string KeyFingerprintMismatch = "SPPS4015";
    public const string DfkMissing = "SPPS4016";
    public const string StationNotAuthorized = "SPPS4017";

    public const string NoDevices = "SPPS5001";
    public const string DeviceRefused = "SPPS5002";
    public const string DeviceProtocol = "SPPS5003";
    public const string WrongDevice = "SPPS5004";
    public const string BoardBusy = "SPPS5005";
    public const string ProgrammerInvalid = "SPPS5006";
    public const string ServiceUnavailable = "SPPS5007";
    public const string LedgerUnavailable = "SPPS5008";
}
