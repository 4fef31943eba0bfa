using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Build.Tasks.Manifest;
using Spps.Core;
using Spps.Core.Identifiers;
using Spps.Core.IO;
using Spps.Core.Owner;

namespace Spps.Build.Tasks;

/// <summary>
/// NAME.json beside NAME.job: what the job allows (tickets, limits), what it contains (digests) and where
/// it may run (M-HSM). It also carries the OE project record the post-production check needs (wrapped
/// KIPs and end keys, as safe to keep as the keyset), so a status can be checked after a clean.
/// </summary>
public static class JobSummary
{
    public const string Format = "spps-job-summary";
    public const int Version = 1;

    public static void Write(string path, JobManifest manifest, HsmTaskSpec task, OwnerProject project, string jobDigest, string uhsmUuid, string uhsmFingerprint)
    {
        var job = project.Job(manifest.Job.Name);
        var hsmTask = job.Task(task.Name);
        var reply = hsmTask.Reply!;
        var used = job.Devices.Select(d => project.Bitstream(d.DataName, d.BitstreamName)).Distinct();
        var summary = new JObject
        {
            ["format"] = Format,
            ["version"] = Version,
            ["manifest"] = manifest.Path,
            ["job"] = new JObject { ["name"] = job.Name, ["type"] = job.Type },
            ["hsm_task"] = hsmTask.Name,
            ["job_file"] = task.OutputName + ".job",
            ["job_digest"] = jobDigest,
            ["request_digest"] = hsmTask.Request!.Digest,
            ["reply_digest"] = reply.Digest,
            ["u_hsm"] = new JObject { ["uuid"] = uhsmUuid, ["identity_fingerprint"] = uhsmFingerprint },
            ["m_hsm"] = new JObject
            {
                ["uuid"] = reply.MHsmUuid,
                ["identity_fingerprint"] = Spps.Core.Crypto.PublicKeys.Fingerprint(Convert.FromBase64String(reply.IdentityKey)),
            },
            ["devices"] = new JArray(job.Devices.Select(d => new JObject { ["name"] = d.Name, ["hw_location"] = d.HwLocation, ["prog_data"] = d.DataName, ["bitstream"] = d.BitstreamName })),
            ["bitstreams"] = new JArray(used.Select(b => new JObject
            {
                ["prog_data"] = b.DataName, ["name"] = b.Name, ["design"] = b.Design, ["design_digest"] = b.DesignDigest,
                ["features"] = new JArray(b.Features), ["key_mode"] = b.KeyMode, ["generate_coc"] = b.GenerateCoc,
                ["plaintext_length"] = b.PlaintextLength, ["ciphertext_sha256"] = b.CiphertextSha256,
            })),
            ["tickets"] = new JArray(hsmTask.Tickets.Select(t => new JObject
            {
                ["name"] = t.Name, ["ticket_id"] = HsmUuid.Display(t.TicketId!), ["device"] = t.Device, ["action"] = t.Action,
                ["max_device"] = t.MaxDevice < 0 ? "unlimited" : t.MaxDevice,
            })),
            ["created"] = DateTimeOffset.UtcNow.ToString("O"),
            ["post_production"] = new JObject { ["oe_project"] = JObject.Parse(File.ReadAllText(project.FilePath)) },
        };
        AtomicFile.WriteAllText(path, summary.ToString(Formatting.Indented) + "\n");
    }

    /// <summary>Reads a summary written by <see cref="Write"/>; null when the file is something else.</summary>
    public static JObject? TryRead(string path)
    {
        try
        {
            var json = JObject.Parse(File.ReadAllText(path));
            return (string?)json["format"] == Format ? json : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static SppsException Invalid(string path, string what) =>
        new(TaskErrorCodes.StatusNoRecord, $"{path} is not a usable job summary: {what}.", new SourceLocation(path));
}
