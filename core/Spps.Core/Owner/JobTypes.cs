namespace Spps.Core.Owner;

/// <summary>
/// The job types of new_prog_job -job_type (seed §3.5): FPExpress, run at a CM by FlashPro Express on its M-HSM; IHP
/// (in-house programming), run at the OE's own site with its U-HSM acting as the M-HSM, for a single target device.
/// </summary>
public static class JobTypes
{
    public const string FlashProExpress = "FPExpress";
    public const string InHouse = "IHP";

    public static bool IsInHouse(ProgJob job) => job.Type == InHouse;
}
