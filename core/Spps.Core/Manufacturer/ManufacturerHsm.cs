using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Contracts.Hsm;
using Spps.Core.Crypto;
using Spps.Core.Identifiers;
using Spps.Core.IO;
using Spps.Core.Protocol;
using Spps.Core.Site;
using Spps.Device.Reference;

namespace Spps.Core.Manufacturer;

/// <summary>
/// The M-HSM role: answers job requests, loads jobs, issues per-device authorization codes within each
/// ticket's limit, and ends tickets with certifiers. With a generic HSM the counters are enforced here,
/// in the process holding the HSM session, and made auditable by the ledger (see docs/protocol.md).
/// </summary>
public sealed class ManufacturerHsm : IAuthCodeIssuer, IDisposable
{
    private readonly SppsEnvironment _env;
    private readonly RoleKeys _keys;
    private readonly Ledger _ledger;
    private readonly string _stateDirectory;
    private readonly object _trustGate = new();
    private List<X509Certificate2>? _trustedRoots;

    private ManufacturerHsm(SppsEnvironment env, RoleKeys keys, string stateDirectory)
    {
        _env = env;
        _keys = keys;
        _stateDirectory = stateDirectory;
        _ledger = new Ledger(stateDirectory);
    }

    public string Uuid => _keys.Hsm.Info.Uuid;
    public string Description => $"M-HSM {Uuid} in this process";
    public IHsm Hsm => _keys.Hsm;
    public byte[] IdentityPublicKey => _keys.IdentityPublicKey;
    public Ledger Ledger => _ledger;

    public static ManufacturerHsm Open(SppsEnvironment env)
    {
        var settings = env.LoadSettings().RequireFlashPro();
        var hsm = env.OpenHsm(settings.HsmServerName, settings.MHsmUuid, create: true);
        if (!HsmUuid.Same(hsm.Info.Uuid, settings.MHsmUuid))
            throw new SppsException(ErrorCodes.WrongHsm, $"HSM '{settings.HsmServerName}' has UUID {hsm.Info.Uuid}, but set_hsm_params says the M-HSM is {HsmUuid.Normalize(settings.MHsmUuid)}.");
        var keys = RoleKeys.ForManufacturer(hsm);
        return new ManufacturerHsm(env, keys, Path.Combine(env.Home, "mhsm", hsm.Info.Uuid));
    }

    public (string Fingerprint, byte[] Signature) Sign(byte[] bytes) => _keys.Sign(bytes);

    /// <summary>Reserves a fresh ticket ID per requested ticket and writes the signed reply.</summary>
    public IReadOnlyDictionary<string, string> ProcessRequest(JobRequest request, string replyPath)
    {
        if (!HsmUuid.Same(request.MHsmUuid, Uuid))
            throw new SppsException(ErrorCodes.WrongHsm, $"The request is for M-HSM {HsmUuid.Normalize(request.MHsmUuid)}, but this site's M-HSM is {Uuid}. Send it to the right CM, or ask the OE to fix -m_hsm_uuid.", new SourceLocation(request.File.Path));
        var ids = _ledger.Locked(() =>
        {
            var reserved = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var t in request.Tickets)
            {
                string id;
                do id = HsmUuid.NewTicketId(); while (_ledger.Ticket(id) is not null);
                _ledger.Append(LedgerRecord.Reserve, id, new JObject
                {
                    ["name"] = t.Name, ["device"] = t.Device, ["action"] = t.Action, ["max_device"] = t.MaxDevice,
                    ["job"] = request.Job, ["hsm_task"] = request.HsmTask,
                    ["request_digest"] = request.File.Digest, ["u_hsm_key"] = PublicKeys.Fingerprint(request.UHsmIdentityKey),
                });
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
    /// </summary>
    public void LoadJob(JobFile job, string projectPath)
    {
        var where = new SourceLocation(job.File.Path);
        if (!HsmUuid.Same(job.MHsmUuid, Uuid) || job.MHsmIdentityFingerprint != _keys.IdentityFingerprint ||
            job.MHsmTransportFingerprint != PublicKeys.Fingerprint(_keys.TransportPublicKey!))
            throw new SppsException(ErrorCodes.WrongHsm, $"This job is bound to M-HSM {HsmUuid.Normalize(job.MHsmUuid)} (key {PublicKeys.Short(job.MHsmIdentityFingerprint)}), not to this one ({Uuid}, key {PublicKeys.Short(_keys.IdentityFingerprint)}). A job runs only on the M-HSM that answered its request.", where);
        _ledger.Locked(() =>
        {
            foreach (var t in job.Tickets)
            {
                var state = _ledger.Ticket(t.Id);
                if (state?.Reservation is not { } r)
                    throw new SppsException(ErrorCodes.TicketNotReserved, $"Ticket {t.Spec.Name} ({t.Id}) was never reserved by this M-HSM: the job was not made from one of its replies.", where);
                if ((string?)r["u_hsm_key"] != PublicKeys.Fingerprint(job.UHsmIdentityKey) || (string?)r["name"] != t.Spec.Name ||
                    (string?)r["action"] != t.Spec.Action || (long?)r["max_device"] != t.Spec.MaxDevice || (string?)r["device"] != t.Spec.Device)
                    throw new SppsException(ErrorCodes.TicketNotReserved, $"Ticket {t.Spec.Name} ({t.Id}) differs from what was requested (signer, action, device or max_device).", where);
                if (state.Ended)
                    throw new SppsException(ErrorCodes.TicketNotActive, $"Ticket {t.Spec.Name} ({t.Id}) has ended; it cannot be loaded again.", where);
                if (state.Loaded)
                    throw new SppsException(ErrorCodes.TicketAlreadyLoaded, $"Ticket {t.Spec.Name} ({t.Id}) is already loaded into this M-HSM: a job is loaded once, and its counters are never reset. Open the existing job project instead.", where);
            }
            foreach (var t in job.Tickets)
            {
                UnwrapTicketKeys(t);
                _ledger.Append(LedgerRecord.Load, t.Id, new JObject
                {
                    ["job"] = job.Job, ["job_digest"] = job.Digest, ["name"] = t.Spec.Name, ["device"] = t.Spec.Device,
                    ["action"] = t.Spec.Action, ["max_device"] = t.Spec.MaxDevice, ["key_mode"] = t.KeyMode, ["bitstream"] = t.Bitstream,
                    ["project"] = projectPath,
                });
            }
            return 0;
        });
    }

    /// <summary>
    /// Issues one device's authorization code. The ledger record is durable before the code is computed,
    /// so a crash can lose a code but never hand out one that is not counted.
    /// </summary>
    public AuthCode IssueAuthCode(DeviceEvidence evidence)
    {
        // Checked before taking the ledger lock: the chain check is the slowest part and needs no ledger state.
        if (evidence.Certificate is not null) CheckGenuine(evidence);
        var counted = false;
        var keyMode = _ledger.Locked(() =>
        {
            var state = _ledger.Ticket(evidence.TicketId);
            if (state is null || !state.Loaded)
                throw new SppsException(ErrorCodes.TicketNotActive, $"Ticket {evidence.TicketId} is not loaded into this M-HSM.");
            if (state.Ended)
                throw new SppsException(ErrorCodes.TicketNotActive, $"Ticket {(string?)state.LoadData!["name"]} ({evidence.TicketId}) has ended: no more authorization codes.");
            if ((string?)state.LoadData!["action"] != evidence.Action)
                throw new SppsException(ErrorCodes.ActionNotAuthorized, $"Ticket {(string?)state.LoadData["name"]} authorizes {(string?)state.LoadData["action"]}, not {evidence.Action}.");
            var mode = (string)state.LoadData["key_mode"]!;
            if (mode is "KFP" or "KFPE" && evidence.Certificate is null)
                throw new SppsException(ErrorCodes.DeviceNotGenuine, $"Device {evidence.Dsn} presented no device certificate; key mode {mode} needs one.");
            if (!state.HasDevice(evidence.Dsn))
            {
                if (!state.Unlimited && state.Issued >= state.MaxDevice)
                    throw new SppsException(ErrorCodes.Overbuild,
                        $"Ticket {(string?)state.LoadData["name"]} has no authorization codes left ({state.Issued} of {state.MaxDevice} used): device {evidence.Dsn} is refused.");
                var issue = new JObject { ["dsn"] = evidence.Dsn, ["n"] = state.Issued + 1 };
                if (evidence.Station is not null) issue["station"] = evidence.Station;
                _ledger.Append(LedgerRecord.Issue, evidence.TicketId, issue, durable: false);
                counted = true;
            }
            return mode;
        });
        if (counted) _ledger.MakeDurable(); // before the code exists: a crash now loses the code, never the count
        return ComputeAuthCode(evidence, keyMode);
    }

    public TicketState? Ticket(string id) => _ledger.Ticket(id);

    /// <summary>True when every ticket of this job was loaded, for this very job file, into a project at <paramref name="projectPath"/>.</summary>
    public bool LoadedFor(JobFile job, string projectPath)
    {
        _ledger.Refresh();
        return job.Tickets.All(t => _ledger.Ticket(t.Id) is { Loaded: true, Ended: false } s &&
                                    (string?)s.LoadData!["job_digest"] == job.Digest && (string?)s.LoadData["project"] == projectPath);
    }

    public void Refresh() => _ledger.Refresh();

    /// <summary>Ends tickets: a durable end record, then the certifier under K_end, then the ticket keys are destroyed.</summary>
    public IReadOnlyList<EndCertifier> EndTickets(IReadOnlyList<string> ticketIds, bool terminate)
    {
        _ledger.Locked(() =>
        {
            var states = ticketIds.Select(id => _ledger.Ticket(id) ?? throw new SppsException(ErrorCodes.TicketNotActive, $"Ticket {id} is unknown to this M-HSM.")).ToList();
            var open = states.Where(s => !s.Ended && !s.Unlimited && s.Left > 0).ToList();
            if (open.Count > 0 && !terminate)
                throw new SppsException(ErrorCodes.CodesRemain,
                    $"Authorization codes remain ({string.Join(", ", open.Select(s => $"{(string?)s.LoadData?["name"]}: {s.Left} left"))}). Finish production, or add -terminate to end the job early.");
            foreach (var s in states.Where(s => !s.Ended))
            {
                var mode = !s.Unlimited && s.Left == 0 ? "ended" : terminate ? "terminated" : "ended";
                _ledger.Append(LedgerRecord.End, s.Id, new JObject { ["count"] = s.Issued, ["chain_head"] = s.ChainHead, ["mode"] = mode });
            }
            return 0;
        });
        return ticketIds.Select(Certify).ToList();
    }

    private EndCertifier Certify(string ticketId)
    {
        var path = Path.Combine(_stateDirectory, "certifiers", ticketId + ".json");
        if (File.Exists(path))
            return JsonConvert.DeserializeObject<EndCertifier>(File.ReadAllText(path))!;
        var end = _ledger.Ticket(ticketId)!.EndData!;
        var count = (long)end["count"]!;
        var head = (string)end["chain_head"]!;
        var mode = (string)end["mode"]!;
        var endKey = Hsm.FindKey(TicketKeyLabel(ticketId, "kend"))
            ?? throw new SppsException(ErrorCodes.LedgerCorrupt, $"Ticket {ticketId} ended but neither its certifier nor its end key exists: the M-HSM state was tampered with.");
        var certifier = new EndCertifier(ticketId, count, head, mode,
            Convert.ToHexStringLower(Hsm.Mac(endKey, ProtocolLabels.EndCertifierMessage(ticketId, count, head, mode, Uuid))));
        AtomicFile.WriteAllText(path, JsonConvert.SerializeObject(certifier));
        Hsm.Destroy(endKey);
        if (Hsm.FindKey(TicketKeyLabel(ticketId, "kip")) is { } kip) Hsm.Destroy(kip);
        return certifier;
    }

    private void UnwrapTicketKeys(JobTicket t)
    {
        foreach (var part in new[] { "kip", "kend" })
            if (Hsm.FindKey(TicketKeyLabel(t.Id, part)) is { } stale) Hsm.Destroy(stale); // left by a load that crashed before its ledger record

        var kek = Hsm.Derive(new EcdhHkdf([new EcdhAgreement(_keys.Transport!, t.Ephemeral)], [], ProtocolLabels.TicketKek(t.Id, Uuid)),
            new KeySpec($"session/kek/{t.Id}", KeyKind.Aes256, KeyUsage.Unwrap, Persistent: false));
        try
        {
            Hsm.Unwrap(kek, t.WrappedKip, new KeySpec(TicketKeyLabel(t.Id, "kip"), KeyKind.Aes256, KeyUsage.Derive, Persistent: true, Wrappable: true));
            Hsm.Unwrap(kek, t.WrappedEndKey, new KeySpec(TicketKeyLabel(t.Id, "kend"), KeyKind.Aes256, KeyUsage.Mac, Persistent: true));
        }
        catch (SppsException e) when (e.Code.StartsWith("SPPS30", StringComparison.Ordinal))
        {
            throw new SppsException(ErrorCodes.WrongHsm, $"Ticket {t.Spec.Name}'s keys do not unwrap with this M-HSM's transport key: the job was made for another M-HSM or altered.");
        }
        finally
        {
            Hsm.Destroy(kek);
        }
    }

    private AuthCode ComputeAuthCode(DeviceEvidence e, string keyMode)
    {
        var kip = Hsm.FindKey(TicketKeyLabel(e.TicketId, "kip"))
            ?? throw new SppsException(ErrorCodes.TicketNotActive, $"Ticket {e.TicketId} has ended: its keys are destroyed.");
        var nonce = RandomNumberGenerator.GetBytes(16);
        var info = ProtocolLabels.DeviceKey(keyMode, e.TicketId, e.Dsn);
        var session = new List<IKeyHandle>();
        string? eph1 = null, eph2 = null;
        try
        {
            IKeyHandle deviceKey;
            var spec = new KeySpec($"session/kdev/{e.Dsn}", KeyKind.Aes256, KeyUsage.Wrap, Persistent: false);
            switch (keyMode)
            {
                case "KFPE" or "KFP":
                    var staticKey = X509CertificateLoader.LoadCertificate(e.Certificate!).PublicKey.ExportSubjectPublicKeyInfo();
                    var first = Ephemeral(session);
                    eph1 = Convert.ToBase64String(Hsm.GetPublicKey(first));
                    var agreements = new List<EcdhAgreement> { new(first, staticKey) };
                    if (keyMode == "KFPE")
                    {
                        if (e.EphemeralKey is null) throw new SppsException(ErrorCodes.DeviceProtocol, $"KFPE needs the device's ephemeral key; device {e.Dsn} sent none.");
                        var second = Ephemeral(session);
                        eph2 = Convert.ToBase64String(Hsm.GetPublicKey(second));
                        agreements.Add(new EcdhAgreement(second, e.EphemeralKey));
                    }
                    deviceKey = Hsm.Derive(new EcdhHkdf(agreements, nonce, info), spec);
                    break;
                case "DFK":
                    var lot = Hsm.FindKey("dfk/" + e.FactoryLot)
                        ?? throw new SppsException(ErrorCodes.DfkMissing, $"No DFK database for factory lot '{e.FactoryLot}' is imported into this M-HSM: import the silicon vendor's DFK DB (spps-station import-dfk-db).");
                    var factoryKey = Hsm.Derive(new KeyHkdf(lot, [], ProtocolLabels.FactoryKey(e.Dsn)), new KeySpec($"session/dfk/{e.Dsn}", KeyKind.Aes256, KeyUsage.Derive, Persistent: false));
                    session.Add(factoryKey);
                    deviceKey = Hsm.Derive(new KeyHkdf(factoryKey, nonce, info), spec);
                    break;
                default:
                    throw new SppsException(ErrorCodes.InvalidField, $"Unknown key mode {keyMode}.");
            }
            session.Add(deviceKey);
            var wrapped = Hsm.Wrap(deviceKey, kip);
            return new AuthCode(e.TicketId, e.Action, keyMode, e.Dsn, Convert.ToHexStringLower(nonce), eph1, eph2, Convert.ToBase64String(wrapped));
        }
        finally
        {
            foreach (var key in session) Hsm.Destroy(key);
        }
    }

    private IKeyHandle Ephemeral(List<IKeyHandle> session)
    {
        var key = Hsm.Generate(new KeySpec("session/ephemeral", KeyKind.EcP384, KeyUsage.Derive, Persistent: false));
        session.Add(key);
        return key;
    }

    private void CheckGenuine(DeviceEvidence e)
    {
        if (e.Certificate is null)
            throw new SppsException(ErrorCodes.DeviceNotGenuine, $"Device {e.Dsn} presented no device certificate.");
        X509Certificate2 cert;
        try { cert = X509CertificateLoader.LoadCertificate(e.Certificate); }
        catch (CryptographicException) { throw new SppsException(ErrorCodes.DeviceNotGenuine, $"Device {e.Dsn}'s certificate is not a valid X.509 certificate."); }
        using (cert)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.CustomTrustStore.AddRange(TrustedRoots().ToArray());
            if (chain.ChainPolicy.CustomTrustStore.Count == 0)
                throw new SppsException(ErrorCodes.DeviceNotGenuine, $"No trusted silicon-vendor root in {Path.Combine(_env.Home, "trust")}: add the vendor's root certificate there.");
            if (!chain.Build(cert))
                throw new SppsException(ErrorCodes.DeviceNotGenuine, $"Device {e.Dsn} is not genuine: its certificate does not chain to a trusted silicon-vendor root ({string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()))}).");
            if (cert.GetNameInfo(X509NameType.SimpleName, false) != e.Dsn)
                throw new SppsException(ErrorCodes.DeviceNotGenuine, $"Device {e.Dsn} presented the certificate of device {cert.GetNameInfo(X509NameType.SimpleName, false)}.");
        }
    }

    private IReadOnlyList<X509Certificate2> TrustedRoots()
    {
        lock (_trustGate)
        {
            if (_trustedRoots is { Count: > 0 }) return _trustedRoots;
            var dir = Path.Combine(_env.Home, "trust");
            _trustedRoots = Directory.Exists(dir)
                ? Directory.EnumerateFiles(dir, "*.cer").Order(StringComparer.Ordinal).Select(X509CertificateLoader.LoadCertificateFromFile).ToList()
                : [];
            return _trustedRoots;
        }
    }

    /// <summary>Imports a silicon vendor's DFK database wrapped to this M-HSM.</summary>
    public string ImportFactoryKeyDatabase(string json, string path)
    {
        JObject db;
        try { db = JObject.Parse(json); }
        catch (JsonReaderException ex) { throw new SppsException(ErrorCodes.MalformedHeader, $"The DFK database is not valid JSON: {ex.Message}", new SourceLocation(path, ex.LineNumber, ex.LinePosition)); }
        var lot = (string?)db["lot"] ?? throw new SppsException(ErrorCodes.MissingField, "The DFK database has no 'lot'.", new SourceLocation(path));
        var kek = Hsm.Derive(new EcdhHkdf([new EcdhAgreement(_keys.Transport!, Convert.FromBase64String((string)db["ephemeral"]!))], [],
            System.Text.Encoding.UTF8.GetBytes($"SPPS DFK DB v1|{lot}|{Uuid}")), new KeySpec("session/dfk-kek", KeyKind.Aes256, KeyUsage.Unwrap, Persistent: false));
        try
        {
            if (Hsm.FindKey("dfk/" + lot) is { } old) Hsm.Destroy(old);
            Hsm.Unwrap(kek, Convert.FromBase64String((string)db["wrapped"]!), new KeySpec("dfk/" + lot, KeyKind.Aes256, KeyUsage.Derive, Persistent: true));
        }
        finally
        {
            Hsm.Destroy(kek);
        }
        return lot;
    }

    public static string TicketKeyLabel(string ticketId, string part) => $"ticket/{ticketId}/{part}";

    public void Dispose() => _ledger.Dispose();
}
