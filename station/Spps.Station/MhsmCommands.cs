using System.CommandLine;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Spps.Core;
using Spps.Core.Commands;
using Spps.Core.Service;
using Spps.Core.Site;
using Spps.Hosting;
using Spps.Mhsm.Service;

namespace Spps.Station;

/// <summary>spps-station mhsm: the M-HSM service (serve, health) and the site PKI its stations use (create-ca, enroll, enroll-service, revoke).</summary>
internal static class MhsmCommands
{
    public static Command Build()
    {
        var mhsm = new Command("mhsm", "The site's M-HSM as a gRPC service (Unix socket on one machine, mutual TLS 1.3 between machines), and the site CA that issues and revokes station certificates.");
        mhsm.Subcommands.Add(Serve());
        mhsm.Subcommands.Add(Health());
        mhsm.Subcommands.Add(CreateCa());
        mhsm.Subcommands.Add(Enroll());
        mhsm.Subcommands.Add(EnrollService());
        mhsm.Subcommands.Add(Revoke());
        mhsm.Subcommands.Add(MaintenanceCommands.Build());
        return mhsm;
    }

    private static Option<string> SiteOption() => new("--site") { Description = "the site CA's folder (default: SPPS_HOME/site)" };

    private static string SiteDir(SppsEnvironment env, string? site) => site is null ? SiteCa.DefaultDirectory(env.Home) : env.Resolve(site);

    private static Command Serve()
    {
        var listen = new Option<string[]>("--listen") { Description = "unix:PATH or https://HOST:PORT, repeatable (default: unix:SPPS_HOME/mhsm/UUID/mhsm.sock, which stations on this machine find by themselves)", AllowMultipleArgumentsPerToken = false };
        var credentials = new Option<string>("--credentials") { Description = "the service's TLS folder from 'mhsm enroll-service' (tls.crt, tls.key, ca.crt; default: $SPPS_MHSM_CREDENTIALS)" };
        var crl = new Option<string>("--crl") { Description = "the site CRL, re-read when it changes (default: SPPS_HOME/site/site.crl)" };
        var metrics = new Option<string>("--metrics") { Description = "http://HOST:PORT to serve /metrics (Prometheus text) and /healthz on" };
        var verbose = new Option<bool>("--verbose") { Description = "log every code issued (JSON lines on stderr)" };
        var allowGroup = new Option<string>("--allow-group") { Description = "also answer local processes of this group on the Unix socket (made 0660); by default only this user's (0600)" };
        var serve = new Command("serve", "Serve authorization codes over gRPC until Ctrl-C or SIGTERM (calls in flight finish first). " +
            "Several replicas may serve one M-HSM when they share its HSM and a PostgreSQL ledger (SPPS_LEDGER).") { listen, credentials, crl, metrics, verbose, allowGroup };
        serve.SetAction(parse =>
        {
            var output = new HostOutput(false, Console.Out, Console.Error);
            try
            {
                using var env = SppsEnvironment.FromProcess(output.Notice);
                using var flashPro = new FlashProCommands(env);
                var m = flashPro.Mhsm;
                var addresses = (parse.GetValue(listen) ?? []).Select(a => MhsmAddress.Parse(a, "--listen address")).ToList();
                if (addresses.Count == 0) addresses.Add(MhsmAddress.Parse("unix:" + MhsmClient.DefaultSocketPath(env.Home, m.Uuid)));
                var creds = parse.GetValue(credentials) ?? env.Options.MhsmCredentials;
                string? crlPath = null;
                if (addresses.Any(a => !a.IsUnix))
                {
                    crlPath = parse.GetValue(crl) is { } c ? env.Resolve(c) : Path.Combine(SiteCa.DefaultDirectory(env.Home), SiteCa.CrlFile);
                    if (!File.Exists(crlPath))
                        throw new SppsException(ErrorCodes.SiteCredentialsInvalid, $"No site CRL at {crlPath}: the service checks every station against it. Pass --crl FILE (the site.crl the site CA writes).", new SourceLocation(crlPath));
                }
                Uri? metricsUri = null;
                if (parse.GetValue(metrics) is { } mu && (!Uri.TryCreate(mu, UriKind.Absolute, out metricsUri) || metricsUri.Scheme != "http"))
                    throw new SppsException(ErrorCodes.InvalidOptionValue, $"--metrics '{mu}' is not http://HOST:PORT.");
                using var stop = new CancellationTokenSource();
                Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
                using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
                var options = new ServeOptions(addresses, creds is null ? null : env.Resolve(creds), crlPath, metricsUri, parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information,
                    Path.Combine(env.Home, "mhsm", m.Uuid), parse.GetValue(allowGroup));
                MhsmServiceHost.RunAsync(m, options, output.Line, stop.Token).GetAwaiter().GetResult();
                return ExitCodes.Success;
            }
            catch (SppsException e) { return output.Error(e, command: "mhsm serve"); }
            catch (Exception e) { return output.Internal(e); }
        });
        return serve;
    }

    private static Command Health()
    {
        var address = new Option<string>("--mhsm") { Description = "service address(es) to ask (default: $SPPS_MHSM)" };
        var json = CommandLineFactory.JsonOption();
        var health = new Command("health", "Ask each M-HSM service address whether it serves (exit 0 when at least one does).") { address, json };
        health.SetAction(parse => CommandLineFactory.Run(parse.GetValue(json), "mhsm health", (env, _) =>
        {
            using var client = MhsmClient.FromSettings(parse.GetValue(address) ?? env.Options.Mhsm, env.Options.MhsmCredentials, env.Resolve)
                ?? throw new SppsException(ErrorCodes.MissingOption, $"No service address: pass --mhsm URL or set {MhsmClient.AddressVariable}.");
            var result = new CommandResult();
            var rows = new JArray();
            var serving = 0;
            foreach (var (a, reply, error) in client.Health())
            {
                var ok = reply?.Status == Spps.Mhsm.V1.HealthReply.Types.Status.Serving;
                if (ok) serving++;
                result.Say(ok ? $"{a}: serving M-HSM {reply!.MhsmUuid} (replica {reply.Replica})" : $"{a}: not serving ({error ?? reply?.Detail})");
                rows.Add(new JObject { ["address"] = a.Text, ["serving"] = ok, ["mhsm_uuid"] = reply?.MhsmUuid, ["replica"] = reply?.Replica, ["error"] = error ?? reply?.Detail });
            }
            result.Data["services"] = rows;
            if (serving == 0) throw new CommandFailedException(result, new SppsException(ErrorCodes.ServiceUnavailable, "No M-HSM service address serves."));
            return result;
        }));
        return health;
    }

    private static Command CreateCa()
    {
        var name = new Option<string>("--name") { Description = "the CA's common name (default: SPPS site CA)" };
        var days = new Option<int>("--days") { Description = "validity in days (default: 3650)", DefaultValueFactory = _ => 3650 };
        var site = SiteOption();
        var json = CommandLineFactory.JsonOption();
        var command = new Command("create-ca", $"Create the site CA (ECDSA P-384) that issues station and service certificates; its key is encrypted under ${SiteCa.PassphraseVariable}.") { name, days, site, json };
        command.SetAction(parse => CommandLineFactory.Run(parse.GetValue(json), "mhsm create-ca", (env, _) =>
        {
            var ca = new SiteCa(SiteDir(env, parse.GetValue(site)), env.Variable);
            using var cert = ca.Create(parse.GetValue(name) ?? "SPPS site CA", parse.GetValue(days));
            var result = new CommandResult().Say($"Created the site CA '{cert.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false)}' in {ca.Directory} (certificate {ca.CertificatePath}, CRL {ca.CrlPath}).");
            result.Data["directory"] = ca.Directory;
            result.Data["certificate"] = ca.CertificatePath;
            result.Data["crl"] = ca.CrlPath;
            return result;
        }));
        return command;
    }

    private static Command Enroll()
    {
        var station = new Option<string>("--station") { Description = "the station's name (its certificate's CN; the ledger records it with every code)", Required = true };
        var output = new Option<string>("--out") { Description = "folder to write tls.key, tls.crt and ca.crt into (mode 0600)", Required = true };
        var jobs = new Option<string[]>("--job") { Description = "a job this station may run, repeatable (default: every job)" };
        var days = new Option<int>("--days") { Description = "validity in days (default: 365)", DefaultValueFactory = _ => 365 };
        var site = SiteOption();
        var json = CommandLineFactory.JsonOption();
        var command = new Command("enroll", "Issue one station's client certificate (ECDSA P-384) from the site CA; give the folder to the station as SPPS_MHSM_CREDENTIALS.") { station, output, jobs, days, site, json };
        command.SetAction(parse => CommandLineFactory.Run(parse.GetValue(json), "mhsm enroll", (env, _) =>
        {
            var ca = new SiteCa(SiteDir(env, parse.GetValue(site)), env.Variable);
            var dir = env.Resolve(parse.GetValue(output)!);
            var jobList = parse.GetValue(jobs) ?? [];
            using var cert = ca.EnrollStation(parse.GetValue(station)!, jobList, dir, parse.GetValue(days));
            var result = new CommandResult().Say($"Enrolled station '{parse.GetValue(station)}' (serial {cert.SerialNumber}, until {cert.NotAfter.ToUniversalTime():yyyy-MM-dd}) for {(jobList.Length == 0 ? "every job" : "job(s) " + string.Join(", ", jobList))}: credentials in {dir}.");
            result.Data["station"] = parse.GetValue(station);
            result.Data["serial"] = cert.SerialNumber;
            result.Data["directory"] = dir;
            return result;
        }));
        return command;
    }

    private static Command EnrollService()
    {
        var name = new Option<string>("--name") { Description = "the service's name (its certificate's CN)", Required = true };
        var hosts = new Option<string[]>("--host") { Description = "a DNS name or IP address stations dial, repeatable", Required = true };
        var output = new Option<string>("--out") { Description = "folder to write tls.key, tls.crt and ca.crt into (mode 0600)", Required = true };
        var days = new Option<int>("--days") { Description = "validity in days (default: 365)", DefaultValueFactory = _ => 365 };
        var site = SiteOption();
        var json = CommandLineFactory.JsonOption();
        var command = new Command("enroll-service", "Issue the M-HSM service's server certificate from the site CA (for mhsm serve --credentials).") { name, hosts, output, days, site, json };
        command.SetAction(parse => CommandLineFactory.Run(parse.GetValue(json), "mhsm enroll-service", (env, _) =>
        {
            var ca = new SiteCa(SiteDir(env, parse.GetValue(site)), env.Variable);
            var dir = env.Resolve(parse.GetValue(output)!);
            using var cert = ca.EnrollService(parse.GetValue(name)!, parse.GetValue(hosts) ?? [], dir, parse.GetValue(days));
            var result = new CommandResult().Say($"Issued the service certificate '{parse.GetValue(name)}' for {string.Join(", ", parse.GetValue(hosts)!)}: credentials in {dir}.");
            result.Data["directory"] = dir;
            return result;
        }));
        return command;
    }

    private static Command Revoke()
    {
        var station = new Option<string>("--station") { Description = "the station to revoke", Required = true };
        var site = SiteOption();
        var json = CommandLineFactory.JsonOption();
        var command = new Command("revoke", "Revoke every certificate of a station: the site CRL is rewritten, and services refuse the station from its next request on.") { station, site, json };
        command.SetAction(parse => CommandLineFactory.Run(parse.GetValue(json), "mhsm revoke", (env, _) =>
        {
            var ca = new SiteCa(SiteDir(env, parse.GetValue(site)), env.Variable);
            var n = ca.Revoke(parse.GetValue(station)!);
            var result = new CommandResult().Say($"Revoked {n} certificate(s) of station '{parse.GetValue(station)}'; the CRL {ca.CrlPath} lists it.");
            result.Data["revoked"] = n;
            result.Data["crl"] = ca.CrlPath;
            return result;
        }));
        return command;
    }
}
