using Spps.Core;

namespace Spps.Hosting;

/// <summary>
/// Exit codes of spps and spps-station (README, "Exit codes"). Scripts branch on these.
/// </summary>
/// <remarks>
/// | code | meaning                                                                     |
/// |------|-----------------------------------------------------------------------------|
/// | 0    | success                                                                     |
/// | 1    | the command failed: bad input file, missing file, wrong order, HSM error   |
/// | 2    | usage: unknown command or option, missing option, script syntax            |
/// | 3    | post-production validation found problems (import_job_status)              |
/// | 4    | refused for security: signature, binding, replay, overbuild, non-genuine   |
/// | 5    | a device, a programmer or the M-HSM service failed or refused               |
/// | 70   | internal error (a bug): please report it with SPPS_DEBUG=1 output          |
/// | 130  | cancelled (Ctrl-C or SIGTERM); the work stopped cleanly between devices     |
/// </remarks>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int ValidationFailed = 3;
    public const int Refused = 4;
    public const int DeviceFailed = 5;
    public const int Internal = 70;
    public const int Cancelled = 130;

    /// <summary>The exit code of an error: its category decides.</summary>
    public static int For(ErrorCode code) => code.Category switch
    {
        ErrorCategory.Usage => Usage,
        ErrorCategory.Validation => ValidationFailed,
        ErrorCategory.Security => Refused,
        ErrorCategory.Device => DeviceFailed,
        ErrorCategory.Internal => Internal,
        ErrorCategory.Cancelled => Cancelled,
        _ => Failed,
    };
}
