using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Spps.Contracts.Hsm;
using Spps.Core.Domain;
using Spps.Core.Protocol;
using Spps.Core.Site;
using Spps.Device.Reference;

namespace Spps.Core.Manufacturer;

/// <summary>
/// The M-HSM's HSM work for tickets: unwrapping a ticket's KIP and K_end at load, computing a device's
/// authorization code (K_dev by key mode, then AES-KWP(K_dev, KIP)), certifying a ticket's end under K_end
/// and destroying its keys, and importing DFK databases. No policy lives here: callers decide first.
/// </summary>
public sealed class TicketKeys(RoleKeys keys, string uuid)
{
    private IHsm Hsm => keys.Hsm;

    public static string Label(TicketId ticket, string part) => $"ticket/{ticket}/{part}";

    /// <summary>Unwraps KIP and K_end into persistent, non-extractable HSM keys (after destroying any left by a crashed load).</summary>
    public void Unwrap(JobTicket t)
    {
        foreach (var part in new[] { "kip", "kend" })
            if (Hsm.FindKey(Label(t.Id, part)) is { } stale) Hsm.Destroy(stale);

        var kek = Hsm.Derive(new EcdhHkdf([new EcdhAgreement(keys.Transport!, t.Ephemeral)], [], ProtocolLabels.TicketKek(t.Id.Value, uuid)),
            new KeySpec($"session/kek/{t.Id}", KeyKind.Aes256, KeyUsage.Unwrap, Persistent: false));
        try
        {
            Hsm.Unwrap(kek, t.WrappedKip, new KeySpec(Label(t.Id, "kip"), KeyKind.Aes256, KeyUsage.Derive, Persistent: true, Wrappable: true));
            Hsm.Unwrap(kek, t.WrappedEndKey, new KeySpec(Label(t.Id, "kend"), KeyKind.Aes256, KeyUsage.Mac, Persistent: true));
        }
        catch (HsmException e) when (e.Code == ErrorCodes.SoftwareHsm.WrappedKeyRejected || e.Code == ErrorCodes.Pkcs11.WrappedKeyRejected)
        {
            throw new SppsException(ErrorCodes.WrongHsm, $"Ticket {t.Spec.Name}'s keys do not unwrap with this M-HSM's transport key: the job was made for another M-HSM or altered.");
        }
        finally
        {
            Hsm.Destroy(kek);
        }
    }

    /// <summary>
    /// Pins a ticket's silicon trust inside the HSM at load: one persistent marker key labelled with the
    /// trust's digest. The ledger carries the trust itself; a ledger edited to trust more has another digest.
    /// </summary>
    public void PinTrust(TicketId ticket, SiliconTrust trust)
    {
        if (Hsm.FindKey(TrustLabel(ticket, trust.Digest)) is null)
            Hsm.Generate(new KeySpec(TrustLabel(ticket, trust.Digest), KeyKind.Aes256, KeyUsage.Mac, Persistent: true));
    }

    public bool TrustPinned(TicketId ticket, SiliconTrust trust) => Hsm.FindKey(TrustLabel(ticket, trust.Digest)) is not null;

    private static string TrustLabel(TicketId ticket, string digest) => Label(ticket, $"trust/{digest}");

    /// <summary>A DFK lot key, held under the identity of the signer whose database brought it in.</summary>
    public static string FactoryKeyLabel(string signerId, string lot) => $"dfk/{signerId}/{lot}";

    /// <summary>The first of <paramref name="signerIds"/> whose database for <paramref name="lot"/> is imported, or null.</summary>
    public string? FactoryKeySigner(string lot, IReadOnlyList<string> signerIds) =>
        signerIds.FirstOrDefault(id => Hsm.FindKey(FactoryKeyLabel(id, lot)) is not null);

    /// <summary>
    /// One device's code: K_dev agreed by <paramref name="mode"/>, KIP wrapped under it. For DFK, the lot key
    /// comes from <paramref name="dfkSigner"/>'s database, one the job names.
    /// </summary>
    public AuthCode AuthCode(DeviceEvidence e, KeyMode mode, string? dfkSigner = null)
    {
        var kip = Hsm.FindKey(Label(e.TicketId, "kip"))
            ?? throw new SppsException(ErrorCodes.TicketNotActive, $"Ticket {e.TicketId} has ended: its keys are destroyed.");
        var nonce = RandomNumberGenerator.GetBytes(16);
        var info = ProtocolLabels.DeviceKey(mode.Name, e.TicketId.Value, e.Action.Name, e.Dsn.Value);
        var session = new List<IKeyHandle>();
        string? eph1 = null, eph2 = null;
        try
        {
            var spec = new KeySpec($"session/kdev/{e.Dsn}", KeyKind.Aes256, KeyUsage.Wrap, Persistent: false);
            IKeyHandle deviceKey;
            if (mode.RequiresDeviceCertificate)
            {
                var staticKey = X509CertificateLoader.LoadCertificate(e.Certificate!).PublicKey.ExportSubjectPublicKeyInfo();
                var first = Ephemeral(session);
                eph1 = Convert.ToBase64String(Hsm.GetPublicKey(first));
                var agreements = new List<EcdhAgreement> { new(first, staticKey) };
                if (mode.RequiresDeviceEphemeral)
                {
                    var second = Ephemeral(session);
                    eph2 = Convert.ToBase64String(Hsm.GetPublicKey(second));
                    agreements.Add(new EcdhAgreement(second, e.EphemeralKey!));
                }
                deviceKey = Hsm.Derive(new EcdhHkdf(agreements, nonce, info), spec);
            }
            else
            {
                var lot = (dfkSigner is null ? null : Hsm.FindKey(FactoryKeyLabel(dfkSigner, e.FactoryLot!)))
                    ?? throw new SppsException(ErrorCodes.DfkMissing, $"No DFK database for factory lot '{e.FactoryLot}' from a signer this job names is imported into this M-HSM: import the silicon vendor's signed DFK DB (spps-station import-dfk-db).");
                var factoryKey = Hsm.Derive(new KeyHkdf(lot, [], ProtocolLabels.FactoryKey(e.Dsn.Value)), new KeySpec($"session/dfk/{e.Dsn}", KeyKind.Aes256, KeyUsage.Derive, Persistent: false));
                session.Add(factoryKey);
                deviceKey = Hsm.Derive(new KeyHkdf(factoryKey, nonce, info), spec);
            }
            session.Add(deviceKey);
            var wrapped = Hsm.Wrap(deviceKey, kip);
            return new AuthCode(e.TicketId.Value, e.Action.Name, mode.Name, e.Dsn.Value, Convert.ToHexStringLower(nonce), eph1, eph2, Convert.ToBase64String(wrapped));
        }
        finally
        {
            foreach (var key in session) Hsm.Destroy(key);
        }
    }

    /// <summary>Certifies an ended ticket under K_end, then destroys K_end and KIP. Null when K_end is already gone.</summary>
    public EndCertifier? Certify(TicketId ticket, long count, string head, string mode)
    {
        if (Hsm.FindKey(Label(ticket, "kend")) is not { } endKey) return null;
        var certifier = new EndCertifier(ticket, count, head, mode,
            Convert.ToHexStringLower(Hsm.Mac(endKey, ProtocolLabels.EndCertifierMessage(ticket.Value, count, head, mode, uuid))));
        return certifier;
    }

    /// <summary>Destroys a ticket's keys and markers (after its certifier is safely stored).</summary>
    public void Destroy(TicketId ticket, long finalCount, SiliconTrust? trust)
    {
        var labels = new List<string> { Label(ticket, "kend"), Label(ticket, "kip"), CountLabel(ticket, finalCount) };
        if (trust is not null) labels.Add(TrustLabel(ticket, trust.Digest));
        foreach (var label in labels)
            if (Hsm.FindKey(label) is { } key) Hsm.Destroy(key);
    }

    /// <summary>
    /// The count the M-HSM holds for a ticket, inside the HSM where a file copy cannot bring an old value
    /// back: one persistent marker key, labelled with the count. Moving it (create n+1, then destroy n)
    /// happens after the ledger record of device n+1 is durable.
    /// </summary>
    public static string CountLabel(TicketId ticket, long count) => Label(ticket, $"count/{count}");

    /// <summary>
    /// How far the marker may lag the committed ledger: the records of one group commit (<see cref="IssueBatcher"/>
    /// commits at most this many at once) caught between their commit and the marker's move.
    /// </summary>
    public const int LagAllowed = 64;

    public void StartCount(TicketId ticket)
    {
        if (Hsm.FindKey(CountLabel(ticket, 0)) is null) Marker(ticket, 0);
    }

    /// <summary>
    /// Checks the ledger's count against the HSM's: equal, or one behind after a crash between the durable
    /// record and the marker's move (repaired here). Anything else means the ledger files were rolled back.
    /// </summary>
    public void CheckCount(TicketId ticket, string name, long ledgerCount)
    {
        // FindKeyNow: another station's process may have moved (destroyed) the marker this process saw last.
        if (Hsm.FindKeyNow(CountLabel(ticket, ledgerCount)) is not null) return;
        // Behind by one: this or another station committed a record and its marker move has not run yet (or
        // crashed). Several stations may each have one record in that window.
        for (var behind = 1; behind <= LagAllowed && ledgerCount - behind >= 0; behind++)
        {
            if (Hsm.FindKeyNow(CountLabel(ticket, ledgerCount - behind)) is not { } lagging) continue;
            Marker(ticket, ledgerCount);
            Hsm.Destroy(lagging);
            return;
        }
        throw new SppsException(ErrorCodes.LedgerRolledBack,
            $"Ticket {name} ({ticket}): the ledger records {ledgerCount} device(s), but the count this M-HSM holds in its HSM differs: the ledger files were restored, truncated or edited. Stop production and keep every file for audit.");
    }

    /// <summary>
    /// Moves the marker from <paramref name="from"/>, the count this caller last checked, to the ledger's committed
    /// <paramref name="ledgerCount"/>: one lookup instead of <see cref="CheckCount"/>'s search of the lag window
    /// (one token search per count on a PKCS#11 HSM). If the marker is not at <paramref name="from"/> (another
    /// replica moved it meanwhile) or the ledger's count is not ahead of it, it falls back to that full check, which
    /// refuses a ledger behind the marker: a marker never moves backwards.
    /// </summary>
    public void MoveCount(TicketId ticket, string name, long from, long ledgerCount)
    {
        if (ledgerCount > from && ledgerCount - from <= LagAllowed && Hsm.FindKeyNow(CountLabel(ticket, from)) is { } lagging)
        {
            // A move that crashed between its create and its destroy left both: never make a second marker.
            if (Hsm.FindKeyNow(CountLabel(ticket, ledgerCount)) is null) Marker(ticket, ledgerCount);
            Hsm.Destroy(lagging);
            return;
        }
        CheckCount(ticket, name, ledgerCount);
    }

    private void Marker(TicketId ticket, long count) =>
        Hsm.Generate(new KeySpec(CountLabel(ticket, count), KeyKind.Aes256, KeyUsage.Mac, Persistent: true));

    /// <summary>
    /// Imports a DFK database's lot key, wrapped to this M-HSM's transport key, under its signer's identity:
    /// a database from another signer can never replace it.
    /// </summary>
    public void ImportFactoryKey(string signerId, string lot, byte[] ephemeral, byte[] wrapped)
    {
        var kek = Hsm.Derive(new EcdhHkdf([new EcdhAgreement(keys.Transport!, ephemeral)], [], ProtocolLabels.FactoryKeyDatabaseKek(lot, uuid)),
            new KeySpec("session/dfk-kek", KeyKind.Aes256, KeyUsage.Unwrap, Persistent: false));
        try
        {
            if (Hsm.FindKey(FactoryKeyLabel(signerId, lot)) is { } old) Hsm.Destroy(old);
            Hsm.Unwrap(kek, wrapped, new KeySpec(FactoryKeyLabel(signerId, lot), KeyKind.Aes256, KeyUsage.Derive, Persistent: true));
        }
        catch (HsmException e) when (e.Code == ErrorCodes.SoftwareHsm.WrappedKeyRejected || e.Code == ErrorCodes.Pkcs11.WrappedKeyRejected)
        {
            throw new SppsException(ErrorCodes.WrongHsm, $"The DFK database for lot {lot} does not unwrap with this M-HSM's transport key: it was made for another M-HSM.");
        }
        finally
        {
            Hsm.Destroy(kek);
        }
    }

    private IKeyHandle Ephemeral(List<IKeyHandle> session)
    {
        var key = Hsm.Generate(new KeySpec("session/ephemeral", KeyKind.EcP384, KeyUsage.Derive, Persistent: false));
        session.Add(key);
        return key;
    }
}
