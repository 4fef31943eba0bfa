using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Newtonsoft.Json.Linq;
using Spps.Contracts.Hsm;
using Spps.Core.Manufacturer;
using static Spps.Benchmarks.Util;

namespace Spps.Benchmarks;

/// <summary>
/// Where an authorization code's time goes: the steps of IssueAuthCode timed one by one on the same M-HSM
/// (HSM calls through the real plugin; the certificate check is re-done here the way CheckGenuine does it).
/// </summary>
internal static class Breakdown
{
    public static void Run(ManufacturerHsm mhsm, ManufacturerSite cm, string label, string kfpeTicket, IReadOnlyList<DeviceInput> devices)
    {
        var n = Math.Min(40, devices.Count);
        var hsm = mhsm.Hsm;
        var steps = new JObject();
        void Step(string name, Action<int> body)
        {
            body(0);
            var times = new List<double>();
            for (var i = 0; i < n; i++)
            {
                var start = Stopwatch.GetTimestamp();
                body(i);
                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            steps[name] = Median(times);
        }

        Step("ledger lock + catch-up (flock, no record)", _ => mhsm.Ledger.Locked(() => 0));
        Step("device certificate chain check (KFP/KFPE)", i =>
        {
            using var cert = X509CertificateLoader.LoadCertificate(devices[i].Certificate!);
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificateFromFile(Path.Combine(cm.VendorHome, "root.cer")));
            if (!chain.Build(cert)) throw new InvalidOperationException("chain");
        });
        Step("HSM: generate P-384 ephemeral + public key + destroy", _ =>
        {
            var k = hsm.Generate(new KeySpec("session/ephemeral", KeyKind.EcP384, KeyUsage.Derive, Persistent: false));
            hsm.GetPublicKey(k);
            hsm.Destroy(k);
        });
        Step("HSM: FindKey (ticket KIP, persistent)", _ => hsm.FindKey(TicketKeys.Label(Ids.Ticket(kfpeTicket), "kip")));
        var kip = hsm.FindKey(TicketKeys.Label(Ids.Ticket(kfpeTicket), "kip"))!;
        var e1 = hsm.Generate(new KeySpec("session/ephemeral", KeyKind.EcP384, KeyUsage.Derive, Persistent: false));
        var e2 = hsm.Generate(new KeySpec("session/ephemeral", KeyKind.EcP384, KeyUsage.Derive, Persistent: false));
        Step("HSM: 2 × ECDH + HKDF (KFPE K_dev) + wrap KIP + destroy", i =>
        {
            var staticKey = X509CertificateLoader.LoadCertificate(devices[i].Certificate!).PublicKey.ExportSubjectPublicKeyInfo();
            var kdev = hsm.Derive(new EcdhHkdf([new EcdhAgreement(e1, staticKey), new EcdhAgreement(e2, devices[i].Ephemeral!)], new byte[16], "bench"u8.ToArray()),
                new KeySpec("session/kdev", KeyKind.Aes256, KeyUsage.Wrap, Persistent: false));
            hsm.Wrap(kdev, kip);
            hsm.Destroy(kdev);
        });
        hsm.Destroy(e1);
        hsm.Destroy(e2);
        var lot = hsm.FindKey(TicketKeys.FactoryKeyLabel(cm.DfkSignerId, cm.FactoryLot))!;
        Step("HSM: DFK K_dev (2 × HKDF) + wrap KIP + destroy", i =>
        {
            var fk = hsm.Derive(new KeyHkdf(lot, [], "bench-fk"u8.ToArray()), new KeySpec("session/dfk", KeyKind.Aes256, KeyUsage.Derive, Persistent: false));
            var kdev = hsm.Derive(new KeyHkdf(fk, new byte[16], "bench"u8.ToArray()), new KeySpec("session/kdev", KeyKind.Aes256, KeyUsage.Wrap, Persistent: false));
            hsm.Wrap(kdev, kip);
            hsm.Destroy(kdev);
            hsm.Destroy(fk);
        });
        foreach (var p in steps.Properties()) Log($"[{label}] breakdown: {p.Name}: {(double)p.Value:F3} ms");
        Result(new JObject { ["kind"] = "breakdown", ["label"] = label, ["steps"] = steps });
    }
}
