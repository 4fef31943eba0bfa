using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Spps.Build.Tasks.Manifest;
using Spps.Core;

namespace Spps.Build.Tasks;

/// <summary>
/// Reads and checks every job manifest (no HSM, no crypto) and plans each job's inputs and outputs, so the
/// job target can be skipped when nothing changed and a broken manifest fails before anything is written.
/// </summary>
public sealed class SppsResolveJobs : Microsoft.Build.Utilities.Task
{
    [Required] public ITaskItem[] Manifests { get; set; } = [];
    [Required] public string OutputDirectory { get; set; } = "";
    [Required] public string StateDirectory { get; set; } = "";
    public bool CreateKeysetIfMissing { get; set; }

    /// <summary>One item per manifest; metadata JobInputs, JobOutputs (;-lists) and StateDirectory.</summary>
    [Output] public ITaskItem[] Jobs { get; private set; } = [];

    /// <summary>Every file the jobs write under the output folder (for FileWrites).</summary>
    [Output] public ITaskItem[] PlannedOutputs { get; private set; } = [];

    public override bool Execute()
    {
        var jobs = new List<ITaskItem>();
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in Manifests)
        {
            Log.Run(() =>
            {
                var manifest = JobManifestReader.Read(item.GetMetadata("FullPath"), CreateKeysetIfMissing);
                var planned = Plan(manifest).ToList();
                foreach (var file in planned.Concat(manifest.Job.HsmTasks.Where(t => !t.HasReply).Select(t => t.RequestFile)))
                    if (!outputs.TryAdd(file, manifest.Path) && outputs[file] != manifest.Path)
                        throw new SppsException(TaskErrorCodes.ManifestDuplicateOutput, $"This manifest and {outputs[file]} would both write {file}: give one of them another job name or 'output_name'.", manifest.Job.Location);
                var job = new TaskItem(manifest.Path);
                job.SetMetadata("JobInputs", string.Join(";", manifest.InputFiles));
                job.SetMetadata("JobOutputs", string.Join(";", planned));
                job.SetMetadata("StateDirectory", Path.Combine(StateDirectory, StateName(manifest.Path)) + Path.DirectorySeparatorChar);
                jobs.Add(job);
            });
        }
        Jobs = jobs.ToArray();
        PlannedOutputs = outputs.Keys.Where(f => f.StartsWith(Path.GetFullPath(OutputDirectory), StringComparison.Ordinal)).Select(f => (ITaskItem)new TaskItem(f)).ToArray();
        return !Log.HasLoggedErrors;
    }

    private IEnumerable<string> Plan(JobManifest manifest)
    {
        var folder = Path.GetFullPath(OutputDirectory);
        foreach (var task in manifest.Job.HsmTasks)
        {
            if (task.HasReply)
            {
                yield return Path.Combine(folder, task.OutputName + ".job");
                yield return Path.Combine(folder, task.OutputName + ".json");
            }
            else
            {
                yield return Path.Combine(folder, task.OutputName + ".req");
            }
        }
    }

    /// <summary>A state folder per manifest: its name, plus a hash of its path so equal names in two folders do not collide.</summary>
    internal static string StateName(string manifestPath) =>
        Path.GetFileNameWithoutExtension(manifestPath) + "-" +
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(manifestPath)))[..8];
}
