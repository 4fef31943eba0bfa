using System.Diagnostics;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Spps.Core;
using Spps.Core.IO;
using Spps.Core.Service;
using V1 = Spps.Mhsm.V1;

namespace Spps.Mhsm.Service;

/// <summary>
/// proto/spps/mhsm/v1 over the M-HSM. Codes come from <see cref="Spps.Core.Manufacturer.IAuthCodeIssuer"/>;
/// the station in every request is the one its certificate names, never one the request claims.
/// </summary>
public sealed class MhsmGrpcService(ServiceState state, ILogger<MhsmGrpcService> log) : V1.Mhsm.MhsmBase
{
    public override async Task<V1.AuthCode> IssueAuthCode(V1.IssueAuthCodeRequest request, ServerCallContext context)
    {
        var clock = Stopwatch.StartNew();
        // The ledger serialises issuance anyway: requests beyond a few wait here without holding a thread,
        // so 64 stations at once do not starve the thread pool that Kestrel and TLS run on.
        await state.IssueGate.WaitAsync(context.CancellationToken);
        try
        {
            var station = Authenticate(context);
            var job = state.JobOf(request.TicketId);
            if (job is not null && !station.MayRun(job))
                throw StationAuthorizer.Refuse($"station '{station.Name}' is not enrolled for job '{job}' (its certificate allows {string.Join(", ", station.Jobs)})");
            var code = state.Issuer.IssueAuthCode(request.ToEvidence(station.Name));
            state.Metrics.CodeIssued(clock.Elapsed);
            log.LogDebug("Issued {Action} code for {Dsn} on ticket {Ticket} to station {Station} in {Ms} ms", request.Action, request.Dsn, request.TicketId, station.Name, clock.Elapsed.TotalMilliseconds);
            return code.ToProto();
        }
        catch (Exception e) when (Refusal(e) is { } refusal)
        {
            state.Metrics.RequestRefused(refusal.Code, clock.Elapsed);
            log.LogInformation("Refused {Action} code for {Dsn} on ticket {Ticket}: {Code} {Reason}", request.Action, request.Dsn, request.TicketId, refusal.Code, refusal.Message);
            throw RpcErrors.ToRpc(refusal.Code, refusal.Message);
        }
        finally
        {
            state.IssueGate.Release();
        }
    }

    public override Task<V1.JobStatus> GetJobStatus(V1.GetJobStatusRequest request, ServerCallContext context) => Guarded(() =>
    {
        Authenticate(context);
        return state.JobStatus(request.TicketIds);
    });

    public override Task<V1.UploadCocsReply> UploadCocs(V1.UploadCocsRequest request, ServerCallContext context) => Guarded(() =>
    {
        var station = Authenticate(context);
        if (!station.MayRun(request.Job)) throw StationAuthorizer.Refuse($"station '{station.Name}' is not enrolled for job '{request.Job}'");
        var lines = new StringBuilder();
        foreach (var c in request.Cocs)
            lines.Append(new JObject
            {
                ["dsn"] = c.Dsn, ["design_digest"] = c.DesignDigest, ["ticket_id"] = c.TicketId, ["action"] = c.Action,
                ["nonce"] = c.Nonce, ["result"] = c.Result, ["mac"] = c.Mac, ["station"] = station.Name,
            }.ToString(Newtonsoft.Json.Formatting.None)).Append('\n');
        var dir = state.UploadDirectory(request.Job);
        using (FileLock.Acquire(Path.Combine(dir, "uploads.lock")))
        using (var file = new FileStream(Path.Combine(dir, "cocs.jsonl"), FileMode.Append, FileAccess.Write))
        {
            file.Write(Encoding.UTF8.GetBytes(lines.ToString()));
            file.Flush(flushToDisk: true);
        }
        return new V1.UploadCocsReply { Stored = (uint)request.Cocs.Count };
    });

    public override Task<V1.UploadJobStatusReply> UploadJobStatus(V1.UploadJobStatusRequest request, ServerCallContext context) => Guarded(() =>
    {
        var station = Authenticate(context);
        if (!station.MayRun(request.Job)) throw StationAuthorizer.Refuse($"station '{station.Name}' is not enrolled for job '{request.Job}'");
        var path = Path.Combine(state.UploadDirectory(request.Job), request.Final ? "job-status-end.status" : "job-status.status");
        AtomicFile.WriteAllBytes(path, request.StatusFile.ToByteArray());
        return new V1.UploadJobStatusReply();
    });

    public override Task<V1.HealthReply> Health(V1.HealthRequest request, ServerCallContext context) => Task.FromResult(state.Health());

    private Station Authenticate(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        if (http.Request.IsHttps) return state.Authorizer!.Authenticate(http.Connection.ClientCertificate);
        return LocalPeers.RefusalOf(http) is { } why ? throw StationAuthorizer.Refuse(why) : Station.Local;
    }

    private Task<T> Guarded<T>(Func<T> work)
    {
        try { return Task.FromResult(work()); }
        catch (Exception e) when (Refusal(e) is { } refusal)
        {
            state.Metrics.RequestRefused(refusal.Code, TimeSpan.Zero);
            throw RpcErrors.ToRpc(refusal.Code, refusal.Message);
        }
    }

    private static SppsException? Refusal(Exception e) => e switch // HsmException is an SppsException
    {
        SppsException s => s,
        _ => null,
    };
}
