using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Newtonsoft.Json;
using Spps.Core;
using Spps.Core.Commands;
using Spps.Core.Domain;
using Spps.Core.Owner;
using Spps.Core.IO;

namespace Spps.Build.Tasks;

/// <summary>
/// The post-production check as a build step: validates job status files from the CM with the U-HSM and
/// fails the build on an invalid CoC or end certifier, a missing ticket, a count over max_device, or (in an
/// end status) a device that received a code but returned no CoC. Writes NAME.report.txt and .json.
/// </summary>
public sealed class SppsVerifyStatus : Microsoft.Build.Utilities.Task
{
    /// <summary>Status files; optional metadata ExpectedDevices (devices that must have been programmed).</summary>
    [Required] public ITaskItem[] StatusFiles { get; set; } = [];

    /// <summary>Job summaries (NAME.json beside each .job) to match statuses against.</summary>
    [Required] public ITaskItem[] JobSummaries { get; set; } = [];
    [Required] public string ReportDirectory { get; set; } = "";
    [Required] public string ProjectDirectory { get; set; } = "";
    public string? SppsHome { get; set; }
    public string? UserHsm { get; set; }
    public string? UserHsmUuid { get; set; }
    public string? UserMasterKeyUuid { get; set; }

    /// <summary>Accept an end status in which some device received a code but returned no CoC (a warning instead).</summary>
    public bool AllowDevicesWithoutCoc { get; set; }

    [Output] public ITaskItem[] Reports { get; private set; } = [];

    public override bool Execute()
    {
        var reports = new List<ITaskItem>();
        Log.Run(() =>
        {
            var hsm = UserHsmOptions.Resolve(SppsHome, UserHsm, UserHsmUuid, UserMasterKeyUuid);
            using var siteLock = FileLock.Acquire(Path.Combine(hsm.Home, "locks", "spps-build.lock"));
            using var env = hsm.OpenEnvironment(ProjectDirectory, Log.Say);
            foreach (var item in StatusFiles)
            {
                var status = item.GetMetadata("FullPath");
                var verdict = new StatusVerifier(env, hsm).Verify(status, JobSummaries.Select(s => s.GetMetadata("FullPath")));
                foreach (var line in verdict.Lines) Log.Say(line);
                var where = new SourceLocation(status);
                foreach (var failure in verdict.Failures)
                    Log.Error(new SppsException(TaskErrorCodes.StatusInvalid, $"Job status failed the post-production check: {failure}.", where));
                foreach (var warning in verdict.Warnings)
                {
                    var missingCoc = warning.Kind == WarningKind.DeviceWithoutCoc;
                    var problem = new SppsException(missingCoc ? TaskErrorCodes.StatusDeviceWithoutCoc : TaskErrorCodes.StatusInvalid, warning.Message, where);
                    if (missingCoc && verdict.Final && !AllowDevicesWithoutCoc) Log.Error(problem);
                    else Log.Warning(problem);
                }
                if (int.TryParse(item.GetMetadata("ExpectedDevices"), out var expected))
                {
                    var programmed = verdict.Tickets.Where(t => t.Action == ProgrammingAction.Program).Sum(t => t.Issued);
                    if (programmed != expected)
                        Log.Error(new SppsException(TaskErrorCodes.StatusInvalid, $"Expected {expected} programmed device(s), but the status records {programmed}.", where));
                }
                var baseName = Path.Combine(ReportDirectory, Path.GetFileName(status) + ".report");
                AtomicFile.WriteAllText(baseName + ".txt", string.Join("\n", verdict.Lines) + "\n");
                AtomicFile.WriteAllText(baseName + ".json", ReportJson.From(verdict).ToString(Formatting.Indented) + "\n");
                reports.Add(new TaskItem(baseName + ".txt"));
                reports.Add(new TaskItem(baseName + ".json"));
            }
        });
        Reports = reports.ToArray();
        return !Log.HasLoggedErrors;
    }
}
