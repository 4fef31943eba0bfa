using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Spps.Build.Tasks.Manifest;
using Spps.Core;
using Spps.Core.IO;
using Spps.Core.Protocol;

namespace Spps.Build.Tasks;

/// <summary>
/// Takes a reply from the CM (wherever it was downloaded to), finds the HSM task whose kept request it
/// answers, and puts it where that task's manifest expects it, so the next build exports the job.
/// </summary>
public sealed class SppsImportReply : Microsoft.Build.Utilities.Task
{
    [Required] public string ReplyFile { get; set; } = "";
    [Required] public ITaskItem[] Manifests { get; set; } = [];

    [Output] public string? ImportedTo { get; private set; }

    public override bool Execute() => Log.Run(() =>
    {
        var replyPath = Path.GetFullPath(ReplyFile);
        if (!File.Exists(replyPath))
            throw new SppsException(TaskErrorCodes.ReplyFileMissing, $"Reply file {replyPath} does not exist: pass the CM's .rep with -p:SppsReplyFile=PATH.");
        var reply = JobReply.Read(replyPath);
        var looked = new List<string>();
        foreach (var item in Manifests)
        {
            var manifest = JobManifestReader.Read(item.GetMetadata("FullPath"), keysetMayBeMissing: true);
            foreach (var task in manifest.Job.HsmTasks.Where(t => File.Exists(t.RequestFile)))
            {
                looked.Add(Path.GetFileName(task.RequestFile));
                if (JobRequest.Read(task.RequestFile).File.Digest != reply.RequestDigest) continue;
                if (Path.GetFullPath(task.ReplyFile) != replyPath)
                    AtomicFile.WriteAllBytes(task.ReplyFile, File.ReadAllBytes(replyPath));
                ImportedTo = task.ReplyFile;
                Log.Say($"Reply {replyPath} answers {task.RequestFile} (job {manifest.Job.Name}, HSM task {task.Name}, M-HSM {reply.MHsmUuid}): imported as {task.ReplyFile}. Build to export the job.");
                return;
            }
        }
        throw new SppsException(TaskErrorCodes.ReplyMatchesNoRequest,
            $"The reply answers request {reply.RequestDigest[..16]}…, which is none of this project's kept requests ({string.Join(", ", looked.DefaultIfEmpty("none"))}). It belongs to another project or to a request that was replaced.", new SourceLocation(replyPath));
    });
}
