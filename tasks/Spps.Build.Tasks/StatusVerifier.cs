using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Core;
using Spps.Core.Commands;
using Spps.Core.Formats;
using Spps.Core.IO;
using Spps.Core.Protocol;
using Spps.Core.Site;

namespace Spps.Build.Tasks;

/// <summary>What the post-production check found for one status file.</summary>
public sealed record StatusVerdict(IReadOnlyList<string> Lines, JObject Data, IReadOnlyList<string> Failures, IReadOnlyList<string> Warnings, bool Final);

/// <summary>
/// import_job_status against the job summary the status belongs to (matched by job digest): the OE
/// project record inside the summary is restored into a scratch folder, so no build state is needed.
/// </summary>
public sealed class StatusVerifier(SppsEnvironment env, UserHsmOptions hsm)
{
    public StatusVerdict Verify(string statusPath, IEnumerable<string> summaryPaths, string scratchDirectory)
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
        var name = (string?)record["name"] ?? throw JobSummary.Invalid(summaryPath, "its record has no project name");
        if (Directory.Exists(scratchDirectory)) Directory.Delete(scratchDirectory, recursive: true);
        var projectFile = Path.Combine(scratchDirectory, name, name + ".jprj");
        AtomicFile.WriteAllText(projectFile, record.ToString(Formatting.Indented));

        var jm = new JobManagerCommands(env);
        var saved = SiteSettings.Load(env.Home).JobManager;
        var mhsm = summary["m_hsm"]!;
        var options = new Dictionary<string, string?>
        {
            ["hsm_server_name"] = hsm.Locator, ["u_hsm_uuid"] = hsm.Uuid, ["u_master_hsm_uuid"] = hsm.MasterUuid,
            ["m_hsm_uuid"] = (string?)mhsm["uuid"], ["m_hsm_fingerprint"] = (string?)mhsm["identity_fingerprint"],
        };
        if (saved?.HsmKeysetDir is not null) options["hsm_keyset_dir"] = saved.HsmKeysetDir;
        jm.Execute("set_hsm_params", options);
        jm.Execute("open_project", new Dictionary<string, string?> { ["project"] = projectFile });
        CommandResult result;
        try
        {
            result = jm.Execute("import_job_status", new Dictionary<string, string?> { ["job_status_file"] = statusPath });
        }
        catch (CommandFailedException e)
        {
            result = e.Result;
        }
        var failures = (result.Data["failures"] as JArray)?.Select(f => (string)f!).ToList() ?? [];
        var warnings = (result.Data["warnings"] as JArray)?.Select(w => (string)w!).ToList() ?? [];
        return new StatusVerdict(result.Lines, result.Data, failures, warnings, (bool?)result.Data["final"] ?? false);
    }
}
