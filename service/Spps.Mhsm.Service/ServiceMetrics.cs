using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Spps.Mhsm.Service;

/// <summary>
/// The service's counters in the Prometheus text exposition format (GET /metrics on the --metrics address):
/// codes issued, requests refused by SPPS code, the latency of IssueAuthCode as a histogram, and the ledger
/// commits that counted devices with the devices they counted (how well group commit groups).
/// </summary>
public sealed class ServiceMetrics
{
    private static readonly double[] Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
    private readonly long[] _bucketCounts = new long[Buckets.Length];
    private readonly ConcurrentDictionary<string, long> _refused = new(StringComparer.Ordinal);
    private long _issued;
    private long _latencyCount;
    private long _latencyMicros;

    public long Issued => Interlocked.Read(ref _issued);
    public long Refused => _refused.Values.Sum();

    public void CodeIssued(TimeSpan latency)
    {
        Interlocked.Increment(ref _issued);
        Observe(latency);
    }

    public void RequestRefused(string code, TimeSpan latency)
    {
        _refused.AddOrUpdate(code, 1, (_, n) => n + 1);
        Observe(latency);
    }

    private void Observe(TimeSpan latency)
    {
        var seconds = latency.TotalSeconds;
        for (var i = 0; i < Buckets.Length; i++)
            if (seconds <= Buckets[i]) Interlocked.Increment(ref _bucketCounts[i]);
        Interlocked.Increment(ref _latencyCount);
        Interlocked.Add(ref _latencyMicros, (long)(latency.Ticks / 10));
    }

    /// <param name="commits">Ledger commits that counted devices in this replica, and how many devices they counted (group commit).</param>
    public string Render(string mhsmUuid, (long Commits, long Codes) commits = default)
    {
        var c = CultureInfo.InvariantCulture;
        var label = $"mhsm=\"{mhsmUuid}\"";
        var s = new StringBuilder();
        s.Append("# HELP spps_mhsm_codes_issued_total Authorization codes issued by this replica.\n# TYPE spps_mhsm_codes_issued_total counter\n");
        s.Append(c, $"spps_mhsm_codes_issued_total{{{label}}} {Issued}\n");
        s.Append("# HELP spps_mhsm_requests_refused_total Requests refused by this replica, by SPPS error code.\n# TYPE spps_mhsm_requests_refused_total counter\n");
        foreach (var (code, n) in _refused.OrderBy(p => p.Key, StringComparer.Ordinal))
            s.Append(c, $"spps_mhsm_requests_refused_total{{{label},code=\"{code}\"}} {n}\n");
        s.Append("# HELP spps_mhsm_issue_seconds Latency of IssueAuthCode in the service (authorization, ledger commit, HSM).\n# TYPE spps_mhsm_issue_seconds histogram\n");
        for (var i = 0; i < Buckets.Length; i++)
            s.Append(c, $"spps_mhsm_issue_seconds_bucket{{{label},le=\"{Buckets[i].ToString(c)}\"}} {Interlocked.Read(ref _bucketCounts[i])}\n");
        var count = Interlocked.Read(ref _latencyCount);
        s.Append(c, $"spps_mhsm_issue_seconds_bucket{{{label},le=\"+Inf\"}} {count}\n");
        s.Append(c, $"spps_mhsm_issue_seconds_sum{{{label}}} {(Interlocked.Read(ref _latencyMicros) / 1e6).ToString("0.000000", c)}\n");
        s.Append(c, $"spps_mhsm_issue_seconds_count{{{label}}} {count}\n");
        s.Append("# HELP spps_mhsm_ledger_commits_total Ledger commits that counted devices (one transaction or fsync each; several codes share one).\n# TYPE spps_mhsm_ledger_commits_total counter\n");
        s.Append(c, $"spps_mhsm_ledger_commits_total{{{label}}} {commits.Commits}\n");
        s.Append("# HELP spps_mhsm_ledger_committed_codes_total Devices counted by those commits (divided by the commits: the mean group size).\n# TYPE spps_mhsm_ledger_committed_codes_total counter\n");
        s.Append(c, $"spps_mhsm_ledger_committed_codes_total{{{label}}} {commits.Codes}\n");
        return s.ToString();
    }
}
