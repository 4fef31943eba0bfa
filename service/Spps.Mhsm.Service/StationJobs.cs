using Google.Protobuf;
using Spps.Core;
using Spps.Core.Domain;
using Spps.Core.IO;
using Spps.Core.Manufacturer;
using Spps.Core.Protocol;
using Spps.Core.Service;
using V1 = Spps.Mhsm.V1;

namespace Spps.Mhsm.Service;

/// <summary>
/// The CM's M-HSM steps other than codes, done at the service for a remote M-HSM: the station sends the files it
/// received (the request, the job's signed head) and gets back the files the M-HSM signs (the reply, status files).
/// Every step checks the station may run the job, and the ledger records it writes name the station. The files the
/// readers need on disk go to a scratch folder under the M-HSM's state folder and are removed at once.
/// </summary>
public sealed class StationJobs(ManufacturerHsm mhsm, string stateDirectory)
{
    private string Scratch => Directory.CreateDirectory(Path.Combine(stateDirectory, "scratch")).FullName;

    public V1.MhsmIdentity Describe() => new()
    {
        Uuid = mhsm.Uuid, IdentityKey = ByteString.CopyFrom(mhsm.IdentityPublicKey), TransportKey = ByteString.CopyFrom(mhsm.TransportPublicKey),
    };

    public V1.AnswerJobRequestReply AnswerJobRequest(Station station, V1.AnswerJobRequestRequest request) => WithScratch("req", request.RequestFile, path =>
    {
        var jobRequest = JobRequest.Read(path);
        Authorize(station, jobRequest.Job);
        var replyPath = path + ".rep";
        try
        {
            var ids = mhsm.ProcessRequest(jobRequest, replyPath, station.Name);
            var reply = new V1.AnswerJobRequestReply { ReplyFile = ByteString.CopyFrom(File.ReadAllBytes(replyPath)) };
            foreach (var (name, id) in ids) reply.TicketIds[name] = id.Value;
            return reply;
        }
        finally { File.Delete(replyPath); }
    });

    public V1.LoadJobReply LoadJob(Station station, V1.LoadJobRequest request) => WithJob(station, request.JobHead, job =>
    {
        if (request.Project.Length == 0) throw new SppsException(ErrorCodes.InvalidField, "The request names no project file.");
        var recovered = request.Recover && mhsm.LoadedFor(job, request.Project);
        if (!recovered) mhsm.LoadJob(job, request.Project, station.Name);
        return new V1.LoadJobReply { Recovered = recovered, MhsmUuid = mhsm.Uuid };
    });

    public V1.StatusFileReply ExportJobStatus(Station station, V1.ExportJobStatusRequest request) => WithJob(station, request.JobHead, job =>
        Status(job, final: false, request.Cocs, null));

    public V1.StatusFileReply CompleteJob(Station station, V1.CompleteJobRequest request) => WithJob(station, request.JobHead, job =>
    {
        mhsm.Refresh();
        LoadedFrom(job);
        var certifiers = mhsm.EndTickets(job.Tickets.Select(t => t.Id).ToList(), request.Terminate, station.Name);
        return Status(job, final: true, request.Cocs, certifiers.ToDictionary(c => c.TicketId));
    });

    public V1.ImportFactoryKeysReply ImportFactoryKeys(V1.ImportFactoryKeysRequest request)
    {
        var import = mhsm.ImportFactoryKeyDatabase(request.Database.ToStringUtf8(), "the DFK database sent");
        return new() { Lot = import.Lot, SignerId = import.SignerId, Signer = import.Subject };
    }

    private V1.StatusFileReply Status(JobFile job, bool final, IEnumerable<V1.Coc> cocs, IReadOnlyDictionary<TicketId, EndCertifier>? certifiers)
    {
        var path = Path.Combine(Scratch, Guid.NewGuid().ToString("N") + ".status");
        try
        {
            // Under the ledger's lock: the counts, chains and ledger head the file carries are one moment's.
            mhsm.Ledger.Locked(() =>
            {
                LoadedFrom(job);
                JobStatusExport.Write(path, final, job, mhsm, JobStatusExport.Statuses(mhsm, job, certifiers), cocs.Select(c => c.ToCoc()));
                return 0;
            });
            return new V1.StatusFileReply { StatusFile = ByteString.CopyFrom(File.ReadAllBytes(path)) };
        }
        finally { File.Delete(path); }
    }

    /// <summary>Every ticket of the job was loaded here from this very job (a station cannot end or report tickets under another job's name).</summary>
    private void LoadedFrom(JobFile job)
    {
        foreach (var t in job.Tickets)
            if (mhsm.Ticket(t.Id) is not { Loaded: true } state || state.Load!.JobDigest != job.Digest)
                throw new SppsException(ErrorCodes.TicketNotActive, $"Ticket {t.Spec.Name} ({t.Id}) of job {job.Job} is not loaded into M-HSM {mhsm.Uuid} from this job: run create_job_project first.");
    }

    private T WithJob<T>(Station station, ByteString head, Func<JobFile, T> work) => WithScratch("job", head, path =>
    {
        var job = JobFile.ReadHead(path);
        Authorize(station, job.Job);
        return work(job);
    });

    private T WithScratch<T>(string extension, ByteString bytes, Func<string, T> work)
    {
        var path = Path.Combine(Scratch, $"{Guid.NewGuid():N}.{extension}");
        AtomicFile.WriteAllBytes(path, bytes.Span);
        try { return work(path); }
        finally { File.Delete(path); }
    }

    private static void Authorize(Station station, string job)
    {
        if (!station.MayRun(job)) throw StationAuthorizer.Refuse($"station '{station.Name}' is not enrolled for job '{job}' (its certificate allows {string.Join(", ", station.Jobs)})");
    }
}
