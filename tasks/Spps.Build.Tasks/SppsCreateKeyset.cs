using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Spps.Build.Tasks.Manifest;
using Spps.Core.IO;

namespace Spps.Build.Tasks;

/// <summary>create_keyset: generates the keysets the manifests name in the site's U-HSM (existing ones are kept unless Overwrite).</summary>
public sealed class SppsCreateKeyset : Microsoft.Build.Utilities.Task
{
    [Required] public ITaskItem[] Manifests { get; set; } = [];
    [Required] public string ProjectDirectory { get; set; } = "";
    public string? SppsHome { get; set; }
    public string? UserHsm { get; set; }
    public string? UserHsmUuid { get; set; }
    public string? UserMasterKeyUuid { get; set; }
    public bool Overwrite { get; set; }

    [Output] public ITaskItem[] CreatedKeysets { get; private set; } = [];

    public override bool Execute()
    {
        var created = new List<ITaskItem>();
        Log.Run(() =>
        {
            var hsm = UserHsmOptions.Resolve(SppsHome, UserHsm, UserHsmUuid, UserMasterKeyUuid);
            using var siteLock = FileLock.Acquire(Path.Combine(hsm.Home, "locks", "spps-build.lock"));
            using var env = hsm.OpenEnvironment(ProjectDirectory, Log.Say);
            foreach (var item in Manifests)
            {
                var manifest = JobManifestReader.Read(item.GetMetadata("FullPath"), keysetMayBeMissing: true);
                created.AddRange(new JobBuilder(env, hsm, Log.Say, Log.Detail, Log.Warning).CreateKeysets(manifest, Overwrite).Select(k => new TaskItem(k)));
            }
        });
        CreatedKeysets = created.ToArray();
        return !Log.HasLoggedErrors;
    }
}
