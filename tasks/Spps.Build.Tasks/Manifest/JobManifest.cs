using Spps.Core;

namespace Spps.Build.Tasks.Manifest;

/// <summary>
/// A job manifest: what the Job Manager scripts of the seed tutorial do (set_hsm_params' M-HSM,
/// new_prog_data, set_envm_update, init_bitstream, new_prog_job, add_microsemi_prog_device,
/// add_hsmtask_to_job, new_hsmtask_ticket), as data. Paths are absolute, resolved against the manifest.
/// </summary>
public sealed record JobManifest(string Path, string ProjectName, IReadOnlyList<ProgDataSpec> ProgData, JobSpec Job)
{
    public IEnumerable<string> InputFiles =>
        new[] { Path }
            .Concat(ProgData.SelectMany(d => new[] { d.Jdc, d.Keyset }.Concat(d.EnvmUpdates.Select(u => u.File))))
            .Concat(Job.HsmTasks.SelectMany(t => new[] { t.RequestFile, t.ReplyFile }.Where(File.Exists)))
            .Distinct(StringComparer.Ordinal);
}

public sealed record ProgDataSpec(string Name, string Jdc, string Keyset, IReadOnlyList<EnvmUpdateSpec> EnvmUpdates, IReadOnlyList<BitstreamSpec> Bitstreams, SourceLocation Location, SourceLocation KeysetLocation);

public sealed record EnvmUpdateSpec(string Client, string File, SourceLocation Location);

public sealed record BitstreamSpec(string Name, string Type, IReadOnlyList<string>? Features, string Protocol, string KeyMode, bool GenerateCoc, IReadOnlyList<string>? EnvmClients, SourceLocation Location);

public sealed record JobSpec(string Name, string Type, IReadOnlyList<DeviceSpec> Devices, IReadOnlyList<HsmTaskSpec> HsmTasks, SourceLocation Location);

public sealed record DeviceSpec(string Name, int HwLocation, string ProgData, string Bitstream, SourceLocation Location);

/// <summary>One CM's share of the job: its tickets, the M-HSM it is bound to, and where its request, reply and job go.</summary>
public sealed record HsmTaskSpec(string Name, string? CmRequestType, MHsmSpec MHsm, string OutputName, string RequestFile, string ReplyFile, IReadOnlyList<TicketRequest> Tickets, SourceLocation Location)
{
    public bool HasReply => File.Exists(ReplyFile);
}

/// <summary>The M-HSM a task is bound to: its UUID and, pinned by the OE, its identity key fingerprint.</summary>
public sealed record MHsmSpec(string Uuid, string? Fingerprint, SourceLocation Location);

/// <summary>new_hsmtask_ticket: one action on one device for up to MaxDevice devices (-1 = unlimited).</summary>
public sealed record TicketRequest(string Name, string Device, string Action, long MaxDevice, SourceLocation Location)
{
    public Spps.Core.Protocol.TicketSpec Spec => new(Name, Device, Spps.Core.Domain.ProgrammingAction.ParseTicketed(Action, what => new SppsException(TaskErrorCodes.ManifestInvalidValue, $"The action must be {what}.", Location)), MaxDevice);
}
