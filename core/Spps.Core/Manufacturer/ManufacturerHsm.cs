using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Contracts.Hsm;
using Spps.Core.Crypto;
using Spps.Core.Domain;
using Spps.Core.Identifiers;
using Spps.Core.Manufacturer.Policy;
using Spps.Core.Protocol;
using Spps.Core.Site;
using Spps.Core.Storage;
using Spps.Device.Reference;

namespace Spps.Core.Manufacturer;

/// <summary>
/// The M-HSM role: answers job requests, loads jobs, issues per-device authorization codes within each
/// ticket's limit, and ends tickets with certifiers. It ties together the ledger (what happened), the pure
/// <see cref="TicketPolicy"/> (what may happen), the HSM work (<see cref="TicketKeys"/>) and device trust.
/// With a generic HSM the policy runs here, in the process holding the HSM session (docs/protocol.md).
/// </summary>
public sealed class ManufacturerHsm : IAuthCodeIssuer, IDisposable
{
    private readonly RoleKeys _keys;
    private readonly Ledger _ledger;
    private readonly TicketKeys _ticketKeys;
    private readonly IssueBatcher _issues;
    private readonly string _stateDirectory;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<TicketId, TicketTrust> _trusts = new();

    private ManufacturerHsm(RoleKeys keys, string stateDirectory, string? ledgerConnection)
    {
        _keys = keys;
        _stateDirectory = stateDirectory;
        _ledger = new Ledger(stateDirectory, ledgerConnection);
        _ticketKeys = new TicketKeys(keys, keys.Hsm.Info.Uuid);
        _issues = new IssueBatcher(_ledger, _ticketKeys);
    }

    /// <summary>A loaded ticket's silicon trust, checked against the HSM's pin, and its device checker.</summary>
    private sealed record TicketTrust(SiliconTrust Trust, DeviceTrust Devices, KeyMode KeyMode);

    public string Uuid => _keys.Hsm.Info.Uuid;
    public string Description => $"M-HSM {Uuid} in this process";
    public IHsm Hsm => _keys.Hsm;
    public byte[] IdentityPublicKey => _keys.IdentityPublicKey;
    public byte[] TransportPublicKey => _keys.TransportPublicKey!;
    public Ledger Ledger => _ledger;

    /// <summary>How this process's code issuance shared ledger commits (group commit), for metrics.</summary>
    public (long Commits, long Codes) IssueCommits => _issues.Committed;

    public static ManufacturerHsm Open(SppsEnvironment env)
    {
        var settings = env.LoadSettings().RequireFlashPro();
        var hsm = env.OpenHsm(settings.HsmServerName, settings.MHsmUuid, create: true);
        if (!HsmUuid.Same(hsm.Info.Uuid, settings.MHsmUuid))
            throw new SppsException(ErrorCodes.WrongHsm, $"HSM '{settings.HsmServerName}' has UUID {hsm.Info.Uuid}, but set_hsm_params says the M-HSM is {HsmUuid.Normalize(settings.MHsmUuid)}.");
        return new ManufacturerHsm(RoleKeys.ForManufacturer(hsm), Path.Combine(env.Home, "mhsm", hsm.Info.Uuid), env.Options.Ledger);
    }

    public (string Fingerprint, byte[] Signature) Sign(byte[] bytes) => _keys.Sign(bytes);

    /// <summary>
    /// Reserves a fresh ticket ID per requested ticket and writes the signed reply. A request answered
    /// before gets the same ticket IDs again (no new reservation): one request can never yield two jobs.
    /// </summary>
    /// <param name="station">The station the M-HSM service authenticated, written in each record; null in process.</param>
    public IReadOnlyDictionary<string, TicketId> ProcessRequest(JobRequest request, string replyPath, string? station = null)
    {
        if (!HsmUuid.Same(request.MHsmUuid, Uuid))
            throw new SppsException(ErrorCodes.WrongHsm, $"The request is for M-HSM {HsmUuid.Normalize(request.MHsmUuid)}, but this site's M-HSM is {Uuid}. Send it to the right CM, or ask the OE to fix -m_hsm_uuid.", new SourceLocation(request.File.Path));
        var ids = _ledger.Locked(() =>
        {
            var earlier = _ledger.Tickets.Where(t => t.Reservation?.RequestDigest == request.File.Digest)
                .ToDictionary(t => t.Reservation!.Name, t => t.Id, StringComparer.Ordinal);
            if (earlier.Count > 0)
                return request.Tickets.All(t => earlier.ContainsKey(t.Name))
                    ? earlier
                    : throw new SppsException(ErrorCodes.LedgerCorrupt, "This request was answered before, but not every one of its tickets is reserved: the M-HSM state is inconsistent.", new SourceLocation(request.File.Path));
            var reserved = new Dictionary<string, TicketId>(StringComparer.Ordinal);
            foreach (var t in request.Tickets)
            {
                TicketId id;
                do id = TicketId.New(); while (_ledger.Ticket(id) is not null);
                _ledger.Append(new TicketReserved(id, t.Name, t.Device, t.Action, t.MaxDevice, request.Job, request.HsmTask,
                    request.File.Digest, PublicKeys.Fingerprint(request.UHsmIdentityKey), station));
                reserved[t.Name] = id;
            }
            return reserved;
        });
        JobReply.Write(replyPath, request, Uuid, _keys.IdentityPublicKey, _keys.TransportPublicKey!, ids, Sign);
        return ids;
    }

    /// <summary>
    /// Checks the job is bound to this M-HSM and its tickets are reserved here and never loaded, then
    /// activates them. The load records name the project file, so that a crash between the load and the
    /// project's creation can be recovered at the same place (<see cref="LoadedFor"/>), and nowhere else.
    /// The job's silicon trust goes into the load records and is pinned in the HSM.
    /// </summary>
    public void LoadJob(JobFile job, string projectPath, string? station = null)
    {
        var where = new SourceLocation(job.File.Path);
        if (!HsmUuid.Same(job.MHsmUuid, Uuid) || job.MHsmIdentityFingerprint != _keys.IdentityFingerprint ||
            job.MHsmTransportFingerprint != PublicKeys.Fingerprint(_keys.TransportPublicKey!))
            throw new SppsException(ErrorCodes.WrongHsm, $"This job is bound to M-HSM {HsmUuid.Normalize(job.MHsmUuid)} (key {PublicKeys.Short(job.MHsmIdentityFingerprint)}), not to this one ({Uuid}, key {PublicKeys.Short(_keys.IdentityFingerprint)}). A job runs only on the M-HSM that answered its request.", where);
        var uhsmKey = PublicKeys.Fingerprint(job.UHsmIdentityKey);
        _ledger.Locked(() =>
        {
            var loads = job.Tickets.Select(t => (Ticket: t, Event: new TicketLoaded(t.Id, job.Job, job.Digest, t.Spec.Name, t.Spec.Device, t.Spec.Action,
                t.Spec.MaxDevice, t.KeyMode, t.Bitstream, projectPath, job.Trust, station))).ToList();
            foreach (var (_, load) in loads)
                if (TicketPolicy.CheckLoad(_ledger.Ticket(load.Ticket), load, uhsmKey, where) is { } refusal) throw refusal;
            foreach (var (ticket, load) in loads)
            {
                _ticketKeys.Unwrap(ticket);
                _ticketKeys.StartCount(ticket.Id);
                _ticketKeys.PinTrust(ticket.Id, job.Trust);
                _ledger.Append(load);
            }
            return 0;
        });
    }

    /// <summary>
    /// Issues one device's authorization code. The ledger record is durable before the code is computed,
    /// so a crash can lose a code but never hand out one that is not counted. Concurrent requests share one
    /// ledger commit (<see cref="IssueBatcher"/>); the device check and the code itself run in the caller.
    /// </summary>
    public AuthCode IssueAuthCode(DeviceEvidence evidence)
    {
        // Checked before queueing for the ledger, so a device the job does not trust costs no code; the chain
        // check is the slowest part and needs no ledger state.
        var dfkSigner = CheckTrust(evidence);
        return Code(evidence, _issues.Decide(Request(evidence)), dfkSigner);
    }

    /// <summary>As <see cref="IssueAuthCode"/>, waiting for the group commit without holding a thread.</summary>
    public async Task<AuthCode> IssueAuthCodeAsync(DeviceEvidence evidence)
    {
        var dfkSigner = CheckTrust(evidence);
        return Code(evidence, await _issues.DecideAsync(Request(evidence)).ConfigureAwait(false), dfkSigner);
    }

    /// <summary>The device is one the ticket's job trusts; for DFK, the signer of the imported database the job names.</summary>
    private string? CheckTrust(DeviceEvidence evidence)
    {
        if (TrustOf(evidence.TicketId) is not { } trust) return null;
        if (evidence.Certificate is not null) trust.Devices.CheckGenuine(evidence);
        return trust.KeyMode.UsesFactoryKey && evidence.FactoryLot is { } lot ? FactoryKeySigner(evidence.TicketId, lot, trust.Trust) : null;
    }

    private static IssueRequest Request(DeviceEvidence e) =>
        new(e.TicketId, e.Action, e.Dsn, e.Certificate is not null, e.EphemeralKey is not null, e.Station);

    private AuthCode Code(DeviceEvidence evidence, IssueDecision decision, string? dfkSigner) => decision switch
    {
        IssueDecision.Count count => _ticketKeys.AuthCode(evidence, count.KeyMode, dfkSigner),
        IssueDecision.Retry retry => _ticketKeys.AuthCode(evidence, retry.KeyMode, dfkSigner),
        IssueDecision.Refuse refuse => throw refuse.Error,
        _ => throw new InvalidOperationException(decision.GetType().Name),
    };

    /// <summary>
    /// What a loaded ticket trusts: the trust in its load record, if the HSM pinned that very trust at load.
    /// Null for a ticket not loaded or ended (the policy refuses those).
    /// </summary>
    private TicketTrust? TrustOf(TicketId id)
    {
        if (_trusts.TryGetValue(id, out var known)) return known;
        var state = _ledger.Locked(() => _ledger.Ticket(id));
        if (state is not { Loaded: true, Ended: false, Load: { } load }) return null;
        var trust = load.Trust ?? throw new SppsException(ErrorCodes.UntrustedSigner,
            $"Ticket {state.Name} ({id}) was loaded from a job of an earlier version, which did not name its silicon vendors: ask the OE to export the job again, and load that.");
        if (!_ticketKeys.TrustPinned(id, trust))
            throw new SppsException(ErrorCodes.LedgerCorrupt,
                $"Ticket {state.Name} ({id}): the silicon vendors its load record trusts are not the ones its job named when this M-HSM loaded it: the ledger was edited. Stop production and keep every file for audit.");
        return _trusts.GetOrAdd(id, new TicketTrust(trust, new DeviceTrust(trust.VendorRoots, load.Job), load.KeyMode));
    }

    /// <summary>The signer, among those the job names, whose DFK database for <paramref name="lot"/> is imported.</summary>
    private string FactoryKeySigner(TicketId ticket, string lot, SiliconTrust trust)
    {
        if (_ticketKeys.FactoryKeySigner(lot, trust.DfkSignerIds) is { } signer) return signer;
        var imported = FactoryKeyImports.Read(_stateDirectory, lot);
        if (imported is not null)
            throw new SppsException(ErrorCodes.UntrustedSigner,
                $"The DFK database imported for factory lot '{lot}' was signed by '{imported.Subject}', which the job of ticket {ticket} does not name as a DFK signer: import the database the job's silicon vendor signed.");
        throw new SppsException(ErrorCodes.DfkMissing,
            $"No DFK database for factory lot '{lot}' is imported into this M-HSM: import the silicon vendor's signed DFK DB (spps-station import-dfk-db).");
    }

    public TicketState? Ticket(TicketId id) => _ledger.Ticket(id);

    public TicketChain Chain(TicketId id) => _ledger.Chain(id);

    /// <summary>True when every ticket of this job was loaded, for this very job file, into a project at <paramref name="projectPath"/>.</summary>
    public bool LoadedFor(JobFile job, string projectPath)
    {
        _ledger.Refresh();
        return job.Tickets.All(t => _ledger.Ticket(t.Id) is { Loaded: true, Ended: false } s &&
                                    s.Load!.JobDigest == job.Digest && s.Load.Project == projectPath);
    }

    public void Refresh() => _ledger.Refresh();

    /// <summary>
    /// Ends tickets: the end records are committed first; then, in a scope of their own, each certifier is made
    /// under K_end and kept, and only then are the ticket's keys destroyed. A crash between the two leaves ended
    /// tickets with their keys, which the next call certifies.
    /// </summary>
    public IReadOnlyList<EndCertifier> EndTickets(IReadOnlyList<TicketId> ticketIds, bool terminate, string? station = null)
    {
        _ledger.Locked(() =>
        {
            var states = ticketIds.Select(id => _ledger.Ticket(id) ?? throw new SppsException(ErrorCodes.TicketNotActive, $"Ticket {id} is unknown to this M-HSM.")).ToList();
            foreach (var s in states.Where(s => s is { Loaded: true, Ended: false })) _ticketKeys.CheckCount(s.Id, s.Name, s.Issued);
            var open = TicketPolicy.WithCodesLeft(states);
            if (open.Count > 0 && !terminate) throw PolicyErrors.CodesRemain(open);
            foreach (var s in states)
                if (TicketPolicy.EndMode(s, terminate) is { } mode)
                    _ledger.Append(new TicketEnded(s.Id, s.Issued, _ledger.Chain(s.Id).Head, mode, station));
            return 0;
        });
        // Certified under the ledger lock: two completions at once must not race on K_end.
        return _ledger.Locked(() => (IReadOnlyList<EndCertifier>)ticketIds.Select(Certify).ToList());
    }

    private EndCertifier Certify(TicketId ticket)
    {
        // Kept in the ledger's store (PostgreSQL: every replica reads it). An earlier version kept it in this
        // M-HSM's state folder whatever the store, so that is read too.
        if (_ledger.ReadCertifier(ticket) is { } saved) return ParseCertifier(saved, ticket, _ledger.FilePath);
        if (FileLedgerStore.CertifierPath(_stateDirectory, ticket.Value) is var legacy && File.Exists(legacy))
        {
            var json = File.ReadAllText(legacy);
            var kept = ParseCertifier(json, ticket, legacy);
            _ledger.SaveCertifier(ticket, json); // into the store, where the other replicas look
            return kept;
        }
        var end = _ledger.Ticket(ticket)!.End!;
        var certifier = _ticketKeys.Certify(ticket, end.Count, end.ChainHead, end.ModeName)
            ?? throw new SppsException(ErrorCodes.LedgerCorrupt, $"Ticket {ticket} ended but neither its certifier nor its end key exists: the M-HSM state was tampered with.");
        _ledger.SaveCertifier(ticket, new JObject
        {
            ["TicketId"] = ticket.Value, ["Count"] = certifier.Count, ["ChainHead"] = certifier.ChainHead, ["Mode"] = certifier.Mode, ["Mac"] = certifier.Mac,
        }.ToString(Formatting.None));
        _ticketKeys.Destroy(ticket, end.Count, _ledger.Ticket(ticket)!.Load?.Trust);
        return certifier;
    }

    private static EndCertifier ParseCertifier(string json, TicketId ticket, string where)
    {
        try
        {
            var o = JObject.Parse(json);
            return new EndCertifier(ticket, (long)o["Count"]!, (string)o["ChainHead"]!, (string)o["Mode"]!, (string)o["Mac"]!);
        }
        catch (Exception e) when (e is JsonException or InvalidCastException or ArgumentException or NullReferenceException or FormatException)
        {
            throw new SppsException(ErrorCodes.LedgerCorrupt, $"The stored end certifier of ticket {ticket} is damaged: the M-HSM state was tampered with.", new SourceLocation(where));
        }
    }

    /// <summary>
    /// Imports a silicon vendor's DFK database: signed by the vendor's DFK signer and wrapped to this M-HSM.
    /// The lot key is held under the signer's identity; which signers count is each job's choice.
    /// </summary>
    public FactoryKeyImport ImportFactoryKeyDatabase(string json, string path)
    {
        var db = FactoryKeyDatabase.Parse(json, path);
        if (!HsmUuid.Same(db.MHsmUuid, Uuid))
            throw new SppsException(ErrorCodes.WrongHsm, $"The DFK database is for M-HSM {HsmUuid.Normalize(db.MHsmUuid)}, not this one ({Uuid}): ask the vendor for one made for this M-HSM.", new SourceLocation(path));
        _ticketKeys.ImportFactoryKey(db.SignerId, db.Lot, db.Ephemeral, db.Wrapped);
        var import = new FactoryKeyImport(db.Lot, db.SignerId, db.SignerSubject);
        FactoryKeyImports.Write(_stateDirectory, import);
        return import;
    }

    /// <summary>
    /// Removes tickets from the M-HSM (remove_hsm_tickets). A finished ticket (ended, or loaded with no code
    /// left) is removed as it is; an active one (<see cref="TicketPolicy.IsActive"/>) only with
    /// <paramref name="force"/>, and then it is ended first (terminated, its keys destroyed, its certifier
    /// kept for the job's status), so nothing can be issued for it again. Every removal is a ledger record
    /// that names what it gave up; the ticket's chain, and so the OE's check, carries it.
    /// </summary>
    public IReadOnlyList<TicketRemoval> RemoveTickets(IReadOnlyList<TicketId> ids, bool force)
    {
        // The end and removal records are committed before any certifier is made and any key destroyed (as in EndTickets).
        var removals = _ledger.Locked(() => AppendRemovals(ids, force));
        return _ledger.Locked(() => (IReadOnlyList<TicketRemoval>)removals.Select(r =>
            r.AlreadyRemoved ? r : r with { Ticket = _ledger.Ticket(r.Ticket.Id)!, Certifier = r.Ticket.Loaded ? Certify(r.Ticket.Id) : null }).ToList());
    }

    private List<TicketRemoval> AppendRemovals(IReadOnlyList<TicketId> ids, bool force)
    {
        var states = ids.Distinct().Select(id => _ledger.Ticket(id) ?? throw new SppsException(ErrorCodes.NameNotFound,
            $"Ticket {id.Display} is not held by this M-HSM ({Uuid}): list_all_hsm_tickets lists the tickets it holds.")).ToList();
        var active = states.Where(s => !s.Removed && TicketPolicy.IsActive(s)).ToList();
        if (active.Count > 0 && !force) throw PolicyErrors.TicketsActive(active);
        var removals = new List<TicketRemoval>();
        foreach (var state in states)
        {
            if (state.Removed)
            {
                removals.Add(new TicketRemoval(state, false, 0, null, AlreadyRemoved: true));
                continue;
            }
            var forced = TicketPolicy.IsActive(state);
            var lost = TicketPolicy.CodesLostByRemoval(state);
            if (!state.Ended)
            {
                if (state.Loaded) _ticketKeys.CheckCount(state.Id, state.Name, state.Issued);
                _ledger.Append(new TicketEnded(state.Id, state.Issued, _ledger.Chain(state.Id).Head, TicketPolicy.EndMode(state, terminate: true)!.Value));
            }
            // The removal record right after the end, with nothing that can fail between them. The certifier comes
            // after the commit (a loaded ticket keeps one for the job's status; one never loaded has no keys here).
            _ledger.Append(new TicketRemoved(state.Id, forced, lost));
            removals.Add(new TicketRemoval(state, forced, lost, null));
        }
        return removals;
    }

    public void Dispose() => _ledger.Dispose();
}
