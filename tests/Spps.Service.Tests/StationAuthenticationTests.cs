using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Spps.Flow.Tests;
using V1 = Spps.Mhsm.V1;

namespace Spps.Service.Tests;

/// <summary>
/// Who may ask the M-HSM service over TCP: only stations with a certificate from the site CA, not revoked,
/// enrolled for the job. Every refusal leaves the board blank and the ledger without a new count.
/// </summary>
public sealed class StationAuthenticationTests : IClassFixture<StationAuthenticationTests.Setup>
{
    public sealed class Setup : IDisposable
    {
        public Setup()
        {
            Job = new ServiceFixture();
            Replica = Job.Site.StartReplica(metricsPort: ServiceSite.FreePort());
        }

        public ServiceFixture Job { get; }
        public Replica Replica { get; }

        public void Dispose() => Job.Dispose();
    }

    private readonly Setup _s;

    public StationAuthenticationTests(Setup setup) => _s = setup;

    private ServiceSite Site => _s.Job.Site;

    private void RefusedAndNothingCounted(ToolRun run, string boards, string reason)
    {
        var before = _s.Job.FileLedgerIssues().Count;
        run.ShouldFail(4, "SPPS4020");
        Assert.Contains(reason, run.All);
        Assert.Empty(ServiceFixture.Programmed(Site.Cm, boards));
        Assert.Equal(before, _s.Job.FileLedgerIssues().Count);
    }

    [Fact]
    public void An_enrolled_station_gets_codes_and_the_ledger_names_it()
    {
        var credentials = Site.Enroll("line-1", "MyProgJob");
        var boards = _s.Job.Tutorial.NewBoards(2);
        var run = Site.RunAs(Site.StationEnvironment(credentials, _s.Replica), boards).ShouldSucceed();
        Assert.Contains($"authorization codes from the M-HSM service at {_s.Replica.Url}", run.Stdout);
        var dsns = ServiceFixture.Programmed(Site.Cm, boards);
        Assert.Equal(2, dsns.Count);
        var records = _s.Job.FileLedgerIssues().Where(r => dsns.Contains((string)r["data"]!["dsn"]!)).ToList();
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.Equal("line-1", (string?)r["data"]!["station"]));
    }

    [Fact]
    public void A_revoked_station_is_refused_from_its_next_request_on()
    {
        var credentials = Site.Enroll("line-2");
        var first = _s.Job.Tutorial.NewBoards(1);
        Site.RunAs(Site.StationEnvironment(credentials, _s.Replica), first).ShouldSucceed();

        Site.Cm.Station("mhsm", "revoke", "--station", "line-2").ShouldSucceed(); // the replica keeps running
        var next = _s.Job.Tutorial.NewBoards(1);
        RefusedAndNothingCounted(Site.RunAs(Site.StationEnvironment(credentials, _s.Replica), next), next, "station 'line-2' is refused: its certificate is revoked");
    }

    [Fact]
    public void A_certificate_from_another_CA_is_refused()
    {
        Site.Cm.Station("mhsm", "create-ca", "--site", "other-site", "--name", "Somebody else").ShouldSucceed();
        var credentials = Site.Cm.PathOf("stations/impostor");
        Site.Cm.Station("mhsm", "enroll", "--site", "other-site", "--station", "line-1", "--out", credentials).ShouldSucceed();
        // Trust the real service, as a station would that copied the site's ca.crt next to its own key.
        File.Copy(Path.Combine(Site.ServiceCredentials, "ca.crt"), Path.Combine(credentials, "ca.crt"), overwrite: true);
        var boards = _s.Job.Tutorial.NewBoards(1);
        RefusedAndNothingCounted(Site.RunAs(Site.StationEnvironment(credentials, _s.Replica), boards), boards, "is not issued by this site's CA");
    }

    [Fact]
    public void A_station_not_enrolled_for_the_job_is_refused()
    {
        var credentials = Site.Enroll("line-3", "AnotherJob");
        var boards = _s.Job.Tutorial.NewBoards(1);
        RefusedAndNothingCounted(Site.RunAs(Site.StationEnvironment(credentials, _s.Replica), boards), boards, "station 'line-3' is not enrolled for job 'MyProgJob'");
    }

    [Fact]
    public void A_caller_without_a_certificate_gets_nothing()
    {
        // Below the station: a TLS 1.3 client that trusts the service but presents no certificate of its own.
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Site.ServiceCredentials, "ca.crt"));
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    return chain.Build(X509CertificateLoader.LoadCertificate(cert!.GetRawCertData()));
                },
            },
        };
        using var channel = GrpcChannel.ForAddress(_s.Replica.Url, new GrpcChannelOptions { HttpHandler = handler });
        var client = new V1.Mhsm.MhsmClient(channel);
        var before = _s.Job.FileLedgerIssues().Count;
        var ticket = (string)Site.Cm.Json("spps-station", "get-job-status", "--project", Tutorial.JobProject)["tickets"]!.First(t => (string)t["action"]! == "PROGRAM")["ticket_id"]!;

        var e = Assert.Throws<RpcException>(() => client.IssueAuthCode(new V1.IssueAuthCodeRequest { TicketId = ticket, Action = "PROGRAM", Dsn = "00AA00AA00AA00AA", FactoryLot = "LOT1" }));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Equal("SPPS4020", e.Trailers.GetValue("spps-error-code"));
        Assert.Contains("presented no client certificate", e.Status.Detail);
        Assert.Equal(before, _s.Job.FileLedgerIssues().Count);

        // And the station itself says what is missing when its credentials are not configured.
        var boards = _s.Job.Tutorial.NewBoards(1);
        var run = Site.RunAs(new Dictionary<string, string> { ["SPPS_MHSM"] = _s.Replica.Url }, boards);
        run.ShouldFail(1, "SPPS2017");
        Assert.Contains("SPPS_MHSM_CREDENTIALS is not set", run.All);
        Assert.Empty(ServiceFixture.Programmed(Site.Cm, boards));
    }

    [Fact]
    public async Task Health_and_metrics_say_what_the_replica_did()
    {
        var credentials = Site.Enroll("line-4", "MyProgJob");
        var health = Site.Cm.Run("spps-station", ["mhsm", "health", "--mhsm", _s.Replica.Url], null);
        health.ShouldFail(1, "SPPS2017"); // over TLS it needs credentials like any station
        Site.Cm.Environment["SPPS_MHSM_CREDENTIALS"] = credentials;
        try
        {
            Assert.Contains($"{_s.Replica.Url}: serving M-HSM 10", Site.Cm.Station("mhsm", "health", "--mhsm", _s.Replica.Url).ShouldSucceed().Stdout);
        }
        finally
        {
            Site.Cm.Environment.Remove("SPPS_MHSM_CREDENTIALS");
        }
        var boards = _s.Job.Tutorial.NewBoards(1);
        Site.RunAs(Site.StationEnvironment(credentials, _s.Replica), boards).ShouldSucceed();
        Site.RunAs(Site.StationEnvironment(Site.Enroll("line-5", "NotThisJob"), _s.Replica), _s.Job.Tutorial.NewBoards(1)).ShouldFail(4, "SPPS4020");

        using var http = new HttpClient();
        Assert.Equal("serving\n", await http.GetStringAsync(_s.Replica.MetricsUrl + "/healthz"));
        var metrics = await http.GetStringAsync(_s.Replica.MetricsUrl + "/metrics");
        Assert.Matches(@"spps_mhsm_codes_issued_total\{mhsm=""10""\} [1-9]", metrics);
        Assert.Matches(@"spps_mhsm_requests_refused_total\{mhsm=""10"",code=""SPPS4020""\} [1-9]", metrics);
        Assert.Matches(@"spps_mhsm_issue_seconds_count\{mhsm=""10""\} [1-9]", metrics);
        Assert.Matches(@"spps_mhsm_ledger_commits_total\{mhsm=""10""\} [1-9]", metrics);
        Assert.Matches(@"spps_mhsm_ledger_committed_codes_total\{mhsm=""10""\} [1-9]", metrics);
    }
}
