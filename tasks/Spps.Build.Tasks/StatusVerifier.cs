using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Core;
using Spps.Core.Formats;
using Spps.Core.Owner;
using Spps.Core.Protocol;
using Spps.Core.Site;

namespace Spps.Build.Tasks;

/// <summary>
/// The post-production check of a status file against the job summary it belongs to (matched by job
/// digest): the OE project record archived in the summary is read in memory and checked with the U-HSM.
/// Nothing is written: no scratch project, no change to the site's settings.
/// </summary>
public sealed class StatusVerifier(SppsEnvironment env, UserHsmOptions hsm)
{
    public ValidationReport Verify(string statusPath, IEnumerable<string> summaryPaths)
    {
        if (!File.Exists(statusPath)) throw new SppsException(TaskErrorCodes.StatusFileMissing, $"Job status file {statusPath} does not exist.");
        var peek = SppsFile.Read(statusPath, JobStatusFile.Kind, signed: true);
        var jobDigest = (string?)peek.Header["job_digest"] ?? "";
        var summaries = summaryPaths.Distinct().Select(p => (Path: p, Json: JobSummary.TryRead(p))).Where(s => s.Json is not null).ToList();
        var (summaryPath, summary) = summaries.FirstOrDefault(s => (string?)s.Json!["job_digest"] == jobDigest);
        if (summary is null)
            throw new SppsException(TaskErrorCodes.StatusNoRecord,
                $"No job summary matches this status (job {(string?)peek.Header["job"]}, job digest {jobDigest[..Math.Min(16, jobDigest.Length)]}…); looked in {string.Join(", ", summaries.Select(s => Path.GetFileName(s.Path)).DefaultIfEmpty("none"))}. " +
                "Verify against the NAME.json archived with the .job that was sent to the CM (-p:SppsJobSummary=PATH).", new SourceLocation(statusPath));

        var record = summary["post_production"]?["oe_project"] as JObject ?? throw JobSummary.Invalid(summaryPath, "it has no post_production record");
        var project = OwnerProject.Parse(record.ToString(Formatting.None), summaryPath);
        var uhsm = RoleKeys.ForOwner(env.OpenHsm(hsm.Locator, hsm.Uuid, create: false), hsm.MasterUuid);
        return StatusValidator.Validate(project, uhsm, statusPath);
    }
}
