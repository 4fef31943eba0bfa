using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Spps.Core;
using Spps.Core.Service;

namespace Spps.Mhsm.Service;

/// <summary>A caller the service has authenticated: its station name and the jobs its certificate allows.</summary>
public sealed record Station(string Name, IReadOnlyList<string> Jobs)
{
    public static readonly Station Local = new("local", [SiteCa.AnyJob]);

    public bool MayRun(string job) => Jobs.Contains(SiteCa.AnyJob) || Jobs.Contains(job);
}

/// <summary>
/// Decides, on every request over TLS, who is asking: a client certificate must be present, chain to the
/// site CA, be a client certificate, and not be on the site CRL (re-read when it changes). Callers on the
/// Unix socket are the machine's own stations (the socket is mode 0600): they are "local".
/// </summary>
public sealed class StationAuthorizer(X509Certificate2 ca, SiteRevocation revocation)
{
    private readonly ConcurrentDictionary<string, (Station? Station, string? Why)> _chains = new(StringComparer.Ordinal);

    public Station Authenticate(X509Certificate2? certificate)
    {
        if (certificate is null)
            throw Refuse("the station presented no client certificate: set SPPS_MHSM_CREDENTIALS to the folder 'spps-station mhsm enroll' wrote");
        var (station, why) = _chains.GetOrAdd(certificate.Thumbprint + "/" + certificate.SerialNumber, _ => Check(certificate));
        if (station is null) throw Refuse(why!);
        if (revocation.Refusal(certificate.SerialNumber) is { } revoked)
            throw Refuse($"station '{station.Name}' is refused: {revoked}");
        return station;
    }

    private (Station?, string?) Check(X509Certificate2 certificate)
    {
        if (!TlsFiles.ChainsTo(ca, certificate, out var why))
            return (null, $"its certificate ({certificate.Subject}) is not issued by this site's CA ({why})");
        var usage = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().SingleOrDefault();
        if (usage is null || !usage.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Any(o => o.Value == "1.3.6.1.5.5.7.3.2"))
            return (null, $"its certificate ({certificate.Subject}) is not a station (client) certificate");
        var name = certificate.GetNameInfo(X509NameType.SimpleName, false);
        return (new Station(name, SiteCa.JobsOf(certificate) ?? []), null);
    }

    public static SppsException Refuse(string why) =>
        new(ErrorCodes.StationNotAuthorized, $"The M-HSM service refused this station: {why}.");
}
