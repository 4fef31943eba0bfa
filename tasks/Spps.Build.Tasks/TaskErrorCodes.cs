namespace Spps.Build.Tasks;

/// <summary>
/// Codes of the errors and warnings the MSBuild tasks raise themselves (docs/msbuild.md lists them).
/// Errors from the protocol engine keep their own SPPS1000-4999 codes.
/// </summary>
/// <remarks>
/// | range     | area                                   |
/// |-----------|----------------------------------------|
/// | 6000-6019 | job manifest: syntax, fields, values   |
/// | 6020-6029 | request/reply matching                 |
/// | 6030-6039 | HSM and keyset properties              |
/// | 6040-6049 | job status verification                |
/// | 6050-6059 | reply import                           |
/// | 6060-6069 | sample JDC generation                  |
/// | 6099      | unexpected failure (a bug: report it)  |
/// </remarks>
public static class TaskErrorCodes
{
    public const string ManifestSyntax = "SPPS6000";
    public const string ManifestUnknownField = "SPPS6001";
    public const string ManifestMissingField = "SPPS6002";
    public const string ManifestInvalidValue = "SPPS6003";
    public const string ManifestFileNotFound = "SPPS6004";
    public const string ManifestDuplicateName = "SPPS6005";
    public const string ManifestUnknownName = "SPPS6006";
    public const string ManifestMaxDevice = "SPPS6007";
    public const string ManifestDuplicateOutput = "SPPS6008";

    public const string RequestMissingForReply = "SPPS6020";
    public const string ReplyForOtherRequest = "SPPS6021";
    public const string RequestReplaced = "SPPS6022";
    public const string FingerprintNotPinned = "SPPS6023";

    public const string SecretInProperty = "SPPS6030";
    public const string HsmPropertyInvalid = "SPPS6031";
    public const string KeysetMissing = "SPPS6032";
    public const string KeysetExists = "SPPS6033";

    public const string StatusNoRecord = "SPPS6040";
    public const string StatusInvalid = "SPPS6041";
    public const string StatusDeviceWithoutCoc = "SPPS6042";
    public const string StatusFileMissing = "SPPS6043";

    public const string ReplyFileMissing = "SPPS6050";
    public const string ReplyMatchesNoRequest = "SPPS6051";

    public const string JdcItemInvalid = "SPPS6060";

    public const string Unexpected = "SPPS6099";
}
