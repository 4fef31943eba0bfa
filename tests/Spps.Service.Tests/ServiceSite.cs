using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Spps.Flow.Tests;

namespace Spps.Service.Tests;

/// <summary>
/// The tutorial's CM site grown past one machine: a site CA, the service's TLS files, station credentials,
/// and M-HSM service replicas (spps-station mhsm serve) on loopback ports, all real processes.
/// </summary>
public sealed class ServiceSite : IDisposable
{
    public const string Passphrase = "site-ca-passphrase-for-tests";
    private readonly List<Replica> _replicas = new();

    public ServiceSite(Tutorial tutorial)
    {
        Tutorial = tutorial;
        Cm.Environment["SPPS_SITE_CA_PASSPHRASE"] = Passphrase;
        Cm.Station("mhsm", "create-ca", "--name", "Factory 7 site CA").ShouldSucceed();
        Cm.Station("mhsm", "enroll-service", "--name", "mhsm", "--host", "127.0.0.1", "--host", "localhost", "--out", ServiceCredentials).ShouldSucceed();
    }

    public Tutorial Tutorial { get; }
    public Site Cm => Tutorial.Cm;
    public string ServiceCredentials => Cm.PathOf("service-tls");

    public string Enroll(string station, params string[] jobs)
    {
        var dir = Cm.PathOf("stations/" + station);
        Cm.Station(["mhsm", "enroll", "--station", station, "--out", dir, .. jobs.SelectMany(j => new[] { "--job", j })]).ShouldSucceed();
        return dir;
    }

    public Replica StartReplica(int? port = null, int? metricsPort = null)
    {
        var replica = new Replica(Cm, port ?? FreePort(), ServiceCredentials, metricsPort);
        _replicas.Add(replica);
        return replica;
    }

    /// <summary>Station environment for one run: where the service is and whose credentials to present.</summary>
    public Dictionary<string, string> StationEnvironment(string credentials, params Replica[] replicas) => new()
    {
        ["SPPS_MHSM"] = string.Join(",", replicas.Select(r => r.Url)),
        ["SPPS_MHSM_CREDENTIALS"] = credentials,
    };

    /// <summary>Points the CM's station at these replicas, as the given station, for every run that follows.</summary>
    public void UseService(string credentials, params Replica[] replicas)
    {
        foreach (var (k, v) in StationEnvironment(credentials, replicas)) Cm.Environment[k] = v;
    }

    public ToolRun RunAs(Dictionary<string, string> environment, string boards, string action = "PROGRAM")
    {
        foreach (var (k, v) in environment) Cm.Environment[k] = v;
        try { return Tutorial.Run(boards, action); }
        finally { foreach (var k in environment.Keys) Cm.Environment.Remove(k); }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        foreach (var r in _replicas) r.Dispose();
    }
}

/// <summary>One running service replica.</summary>
public sealed class Replica : IDisposable
{
    private readonly Site _site;
    private readonly string _credentials;
    private Process? _process;
    private Task<string>? _stderr;

    private readonly int? _metricsPort;

    public Replica(Site site, int port, string credentials, int? metricsPort = null)
    {
        _site = site;
        _credentials = credentials;
        _metricsPort = metricsPort;
        Port = port;
        Start();
    }

    public int Port { get; }
    public string MetricsUrl => $"http://127.0.0.1:{_metricsPort}";
    public string Url => $"https://127.0.0.1:{Port}";
    public Process Process => _process!;
    public string Stderr => _stderr?.IsCompleted == true ? _stderr.Result : "";

    public void Start()
    {
        string[] metrics = _metricsPort is { } m ? ["--metrics", $"http://127.0.0.1:{m}"] : [];
        _process = _site.Start("spps-station", ["mhsm", "serve", "--listen", Url, "--credentials", _credentials, .. metrics]);
        _stderr = _process.StandardError.ReadToEndAsync();
        var ready = _process.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(60)) || ready.Result is null || !ready.Result.Contains("serving authorization codes"))
        {
            if (!_process.HasExited) _process.Kill();
            _process.WaitForExit();
            throw new InvalidOperationException($"the replica on {Url} did not start: {ready.Result}\n{_stderr.Result}");
        }
        _ = _process.StandardOutput.ReadToEndAsync();
    }

    public void Kill()
    {
        _process!.Kill(); // SIGKILL
        _process.WaitForExit();
    }

    public int Terminate()
    {
        using (var term = Process.Start("kill", ["-TERM", _process!.Id.ToString()])) term.WaitForExit();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(30))) throw new TimeoutException("the replica did not stop on SIGTERM");
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (_process is { HasExited: false }) _process.Kill();
        _process?.Dispose();
    }
}
