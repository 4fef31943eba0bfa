using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Spps.Build.Tasks.Manifest;
using Spps.Core.IO;

namespace Spps.Build.Tasks;

/// <summary>
/// Builds the jobs of the given manifests with the U-HSM: the job request, or with the CM's reply the
/// signed job and its summary. The target around it is skipped when no input changed.
/// </summary>
public sealed class SppsBuildJobs : Microsoft.Build.Utilities.Task
{
    /// <summary>Manifests as planned by <see cref="SppsResolveJobs"/> (metadata StateDirectory).</summary>
    [Required] public ITaskItem[] Jobs { get; set; } = [];
    [Required] public string OutputDirectory { get; set; } = "";
    [Required] public string ProjectDirectory { get; set; } = "";
    public string? SppsHome { get; set; }
    public string? UserHsm { get; set; }
    public string? UserHsmUuid { get; set; }
    public string? UserMasterKeyUuid { get; set; }
    public bool CreateKeysetIfMissing { get; set; }

    [Output] public ITaskItem[] WrittenFiles { get; private set; } = [];

    public override bool Execute()
    {
        var written = new List<ITaskItem>();
        Log.Run(() =>
        {
            var hsm = UserHsmOptions.Resolve(SppsHome, UserHsm, UserHsmUuid, UserMasterKeyUuid);
            using var siteLock = FileLock.Acquire(Path.Combine(hsm.Home, "locks", "spps-build.lock"));
            using var env = hsm.OpenEnvironment(ProjectDirectory, Log.Say);
            foreach (var item in Jobs)
            {
                var manifest = JobManifestReader.Read(item.ItemSpec, CreateKeysetIfMissing);
                Log.Say($"Building job {manifest.Job.Name} from {manifest.Path} with U-HSM {hsm.Locator}");
                var builder = new JobBuilder(env, hsm, Log.Say, Log.Detail, Log.Warning);
                var files = builder.Build(manifest, item.GetMetadata("StateDirectory"), OutputDirectory, CreateKeysetIfMissing);
                written.AddRange(files.Select(f => new TaskItem(f)));
            }
        });
        WrittenFiles = written.ToArray();
        return !Log.HasLoggedErrors;
    }
}
