using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Newtonsoft.Json.Linq;
using Spps.Device.Reference;

namespace Spps.Attack.Tests;

/// <summary>
/// The CM chooses what its M-HSM trusts: its own silicon root, its own DFK database. What a job trusts is
/// fixed by the OE under its signature, so the M-HSM refuses both (SPPS4010, SPPS4019) and no code leaves it.
/// </summary>
public sealed class TrustAttackTests
{
    /// <summary>Self-signed certificates anywhere under a folder: the roots of a simulated vendor's home.</summary>
    private static List<string> RootCertificates(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Where(f =>
        {
            try
            {
                using var cert = X509CertificateLoader.LoadCertificateFromFile(f);
                return cert.SubjectName.RawData.AsSpan().SequenceEqual(cert.IssuerName.RawData);
            }
            catch (CryptographicException) { return false; }
        }).ToList();

    [Fact]
    public void A_root_the_CM_adds_to_its_trust_folder_makes_no_device_genuine()
    {
        using var t = new Tutorial(); // KFPE, as the tutorial
        t.RunUntilJobLoaded();

        // The CM's own "silicon vendor", its root in the M-HSM's trust folder, and a device it made.
        var vendor = t.Cm.PathOf("cm-vendor");
        t.Cm.Station("sim", "create-boards", "--dir", "fake", "--count", "1", "--vendor", vendor).ShouldSucceed();
        var roots = RootCertificates(vendor);
        Assert.NotEmpty(roots);
        var trust = Directory.CreateDirectory(Path.Combine(t.Cm.Home, "trust")).FullName;
        for (var i = 0; i < roots.Count; i++) File.Copy(roots[i], Path.Combine(trust, $"cm-root-{i}.cer"), overwrite: true);

        var run = t.CmScript("FlashProExpress_Run_Program", "fake");
        run.ShouldFail(4, "SPPS4010");
        Assert.Contains("does not chain to a silicon-vendor root job", run.Stderr);
        Cm.AllBlank(t.Cm, "fake");
        Assert.Equal(2, t.CodesLeft()["PROGRAM"]); // no code left the M-HSM: the CM cannot unwrap KIP from one
    }

    /// <summary>
    /// The job's trust goes into the ledger's load records, which are the CM's files. A CM that writes its own
    /// root into them, and recomputes every hash of both chains as docs/formats.md describes, is refused:
    /// the HSM pinned the trust the job named when it loaded it.
    /// </summary>
    [Fact]
    public void A_root_written_into_the_ledger_load_records_is_refused()
    {
        using var t = JobWithTheCmRootInItsLedger();

        var run = t.CmScript("FlashProExpress_Run_Program", "fake");
        run.ShouldFail(4, "SPPS4011");
        Assert.Contains("the ledger was edited", run.Stderr);
        Cm.AllBlank(t.Cm, "fake");
    }

    /// <summary>
    /// The same rewrite, then the job is completed anyway: the M-HSM certifies the chain it holds, and the
    /// OE's check sees that the load records trust vendors its job never named.
    /// </summary>
    [Fact]
    public void A_ledger_rewritten_to_trust_another_vendor_is_caught_by_the_OE()
    {
        using var t = JobWithTheCmRootInItsLedger();

        t.CmScript("FlashProExpress_Complete_Job").ShouldSucceed();
        Tutorial.Send(t.Cm, t.Oe, "MyJobStatusEnd");
        var report = t.OeScript("JobManager_Check_Job_End_Status");
        report.ShouldFail(3, "SPPS4014");
        Assert.Contains("trusts other silicon vendors than the job named", report.All);
    }

    /// <summary>A loaded job, a board made by the CM's own vendor in <c>fake</c>, and the ledger's load records rewritten to trust that vendor.</summary>
    private static Tutorial JobWithTheCmRootInItsLedger()
    {
        var t = new Tutorial();
        t.RunUntilJobLoaded();
        var vendor = t.Cm.PathOf("cm-vendor");
        t.Cm.Station("sim", "create-boards", "--dir", "fake", "--count", "1", "--vendor", vendor).ShouldSucceed();
        var root = Convert.ToBase64String(File.ReadAllBytes(RootCertificates(vendor).Single()));
        RewriteLedger(Cm.Ledger(t.Cm), data =>
        {
            if (data["vendor_roots"] is JArray roots) roots.Add(root);
        });
        return t;
    }

    /// <summary>Edits every record's data, then recomputes each hash and the prev/tprev links that name it.</summary>
    private static void RewriteLedger(string path, Action<JObject> edit)
    {
        var renamed = new Dictionary<string, string>();
        var lines = new List<string>();
        foreach (var line in File.ReadAllLines(path).Where(l => l.Length > 0))
        {
            var record = JObject.Parse(line);
            var data = (JObject)record["data"]!;
            edit(data);
            foreach (var link in new[] { "prev", "tprev" })
                if (renamed.TryGetValue((string)record[link]!, out var now)) record[link] = now;
            var canonical = new JObject
            {
                ["seq"] = record["seq"], ["type"] = record["type"], ["ticket"] = record["ticket"], ["prev"] = record["prev"], ["tprev"] = record["tprev"],
                ["time"] = record["time"], ["data"] = new JRaw(data.ToString(Newtonsoft.Json.Formatting.None)),
            }.ToString(Newtonsoft.Json.Formatting.None);
            var hash = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical)));
            renamed[(string)record["hash"]!] = hash;
            record["hash"] = hash;
            lines.Add(record.ToString(Newtonsoft.Json.Formatting.None));
        }
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
    }

    /// <summary>
    /// The simulated vendor stands for the silicon maker: the CM gets boards and a root certificate from it,
    /// never its CA key or DFK lot key. Every file under the CM's SPPS_HOME is tried as either.
    /// </summary>
    [Fact]
    public void The_CM_home_holds_no_key_of_the_silicon_vendor()
    {
        using var t = new Tutorial();
        t.CmScript("FlashProExpress_Set_HSM_Parameters").ShouldSucceed();
        var boards = t.NewBoards(1);
        var board = JObject.Parse(File.ReadAllText(Directory.GetFiles(t.Cm.PathOf(boards), "board-*.json").Single()));
        var dsn = (string)board["dsn"]!;
        var deviceCertificate = new Org.BouncyCastle.X509.X509Certificate(Convert.FromBase64String((string)board["certificate"]!));
        var factoryKey = Convert.FromBase64String((string)board["factory_key"]!);

        foreach (var file in Directory.GetFiles(t.Cm.Home, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(file);
            Assert.False(SignsTheDeviceCertificate(bytes, deviceCertificate), $"{file} is the silicon vendor's CA key");
            Assert.False(DerivesTheFactoryKey(bytes, dsn, factoryKey), $"{file} is the silicon vendor's DFK lot key");
        }
    }

    private static bool SignsTheDeviceCertificate(byte[] candidate, Org.BouncyCastle.X509.X509Certificate deviceCertificate)
    {
        using var key = ECDsa.Create();
        try
        {
            if (candidate.Length > 0 && candidate[0] == '-') key.ImportFromPem(System.Text.Encoding.ASCII.GetString(candidate));
            else key.ImportPkcs8PrivateKey(candidate, out _);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException) { return false; }
        var publicKey = Org.BouncyCastle.Security.PublicKeyFactory.CreateKey(key.ExportSubjectPublicKeyInfo());
        try { deviceCertificate.Verify(publicKey); return true; }
        catch (Exception e) when (e is Org.BouncyCastle.Security.InvalidKeyException or Org.BouncyCastle.Security.SignatureException or Org.BouncyCastle.Security.Certificates.CertificateException) { return false; }
    }

    private static bool DerivesTheFactoryKey(byte[] candidate, string dsn, byte[] factoryKey) =>
        candidate.Length == 32 && HKDF.DeriveKey(HashAlgorithmName.SHA384, candidate, 32, [], ProtocolLabels.FactoryKey(dsn)).AsSpan().SequenceEqual(factoryKey);

    /// <summary>
    /// A DFK database the CM made itself, signed by nobody: its own lot key, wrapped to the M-HSM's transport
    /// key (which the reply names), for a device it made from that lot. The CM would know every K_dev.
    /// </summary>
    [Fact]
    public void A_DFK_database_signed_by_nobody_is_refused()
    {
        using var t = Cm.WithKeyMode("DFK");
        var reply = Cm.Header(t.Cm.PathOf("MyProgJobReply.rep"));
        var lotKey = RandomNumberGenerator.GetBytes(32);
        const string lot = "cm0000000000lot1";
        File.WriteAllText(t.Cm.PathOf("forged.dfk"), ForgedDatabase(lot, lotKey, (string)reply["m_hsm"]!["transport_key"]!, (string)reply["m_hsm"]!["uuid"]!));
        var boards = t.NewBoards(1);
        MakeDeviceOfLot(t.Cm.PathOf(boards), lot, lotKey);

        var import = t.Cm.Station("import-dfk-db", "--file", "forged.dfk");
        import.ShouldFail(4, "SPPS4019");

        var run = t.CmScript("FlashProExpress_Run_Program", boards);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Matches(@"error SPPS4\d{3}:", run.All);
        Cm.AllBlank(t.Cm, boards);
    }

    /// <summary>The same with a database the CM's own simulated vendor signed, for boards of that vendor.</summary>
    [Fact]
    public void A_DFK_database_signed_by_a_vendor_the_job_does_not_name_gives_no_code()
    {
        using var t = Cm.WithKeyMode("DFK");
        var vendor = t.Cm.PathOf("cm-vendor");
        t.Cm.Station("sim", "create-boards", "--dir", "fake", "--count", "1", "--vendor", vendor).ShouldSucceed();
        t.Cm.Station("sim", "export-dfk-db", "-o", "cm.dfk", "--vendor", vendor).ShouldSucceed();

        var import = t.Cm.Station("import-dfk-db", "--file", "cm.dfk");
        if (import.ExitCode != 0)
        {
            import.ShouldFail(4, "SPPS4019");
        }
        else
        {
            t.CmScript("FlashProExpress_Run_Program", "fake").ShouldFail(4, "SPPS4019");
            Assert.Equal(2, t.CodesLeft()["PROGRAM"]);
        }
        Cm.AllBlank(t.Cm, "fake");
    }

    /// <summary>What SimulatorProvider.ExportFactoryKeyDatabase writes, made by the CM with its own lot key.</summary>
    private static string ForgedDatabase(string lot, byte[] lotKey, string transportKeyBase64, string uuid)
    {
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        using var recipient = ECDiffieHellman.Create();
        recipient.ImportSubjectPublicKeyInfo(Convert.FromBase64String(transportKeyBase64), out _);
        var kek = HKDF.DeriveKey(HashAlgorithmName.SHA384, ephemeral.DeriveRawSecretAgreement(recipient.PublicKey), 32, [],
            System.Text.Encoding.UTF8.GetBytes($"SPPS DFK DB v1|{lot}|{uuid}"));
        using var aes = Aes.Create();
        aes.Key = kek;
        return new JObject
        {
            ["lot"] = lot,
            ["ephemeral"] = Convert.ToBase64String(ephemeral.ExportSubjectPublicKeyInfo()),
            ["wrapped"] = Convert.ToBase64String(aes.EncryptKeyWrapPadded(lotKey)),
        }.ToString();
    }

    /// <summary>Turns every board in a folder into a device of the CM's own lot (its factory key derived from the CM's lot key).</summary>
    private static void MakeDeviceOfLot(string folder, string lot, byte[] lotKey)
    {
        foreach (var path in Directory.GetFiles(folder, "board-*.json"))
        {
            var board = JObject.Parse(File.ReadAllText(path));
            board["factory_lot"] = lot;
            board["factory_key"] = Convert.ToBase64String(HKDF.DeriveKey(HashAlgorithmName.SHA384, lotKey, 32, [], ProtocolLabels.FactoryKey((string)board["dsn"]!)));
            File.WriteAllText(path, board.ToString());
        }
    }
}
