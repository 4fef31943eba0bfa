using System.Diagnostics;
using Npgsql;

namespace Spps.Service.Tests;

/// <summary>
/// A real PostgreSQL cluster of its own (Debian's postgresql package) in a temporary folder: initdb and
/// pg_ctl run as the postgres user when the tests run as root (PostgreSQL refuses root), listening on a Unix socket only, so nothing
/// collides with another cluster on the machine. Stopped and removed on dispose.
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    private static int _next;
    private readonly string _bin;
    private readonly string _data;

    public PostgresCluster()
    {
        _bin = Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
            .Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "pg_ctl")))
            ?? throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql; test.sh does it).");
        Root = Directory.CreateTempSubdirectory("spps-pg-").FullName;
        _data = Path.Combine(Root, "data");
        // A port number only names the socket file; one per cluster of this process, spread by process id.
        Port = 20000 + (Environment.ProcessId % 2000) * 10 + Interlocked.Increment(ref _next);
        if (IsRoot) Run("chown", "postgres:postgres", Root);
        Run("chmod", "0755", Root); // the tests (root) and the stations reach the socket in it
        AsPostgres("initdb", "-D", _data, "-U", "spps", "--auth=trust", "--no-sync", "-E", "UTF8");
        Start();
        AsPostgres("createdb", "-h", Root, "-p", Port.ToString(), "-U", "spps", "spps");
    }

    public string Root { get; }
    public int Port { get; }
    public string ConnectionString => $"Host={Root};Port={Port};Username=spps;Database=spps";

    /// <summary>The test's own queries: no pool, so a restart never hands the test a dead connection.</summary>
    private string QueryConnection => ConnectionString + ";Pooling=false";

    public void Start() => AsPostgres("pg_ctl", "-D", _data, "-l", Path.Combine(Root, "postgres.log"), "-w", "-t", "60",
        "-o", $"-k {Root} -p {Port} -c listen_addresses='' -c fsync=on -c synchronous_commit=on", "start");

    /// <summary>Stops the server the hard way (as a crash or power cut would: recovery replays the WAL), then starts it.</summary>
    public void CrashAndRestart()
    {
        AsPostgres("pg_ctl", "-D", _data, "-m", "immediate", "-w", "stop");
        Start();
    }

    public long Scalar(string sql)
    {
        using var connection = new NpgsqlConnection(QueryConnection);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(command.ExecuteScalar());
    }

    public List<string> Lines(string sql)
    {
        using var connection = new NpgsqlConnection(QueryConnection);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read()) lines.Add(reader.GetString(0));
        return lines;
    }

    /// <summary>As root, the tools run as the postgres user (PostgreSQL refuses root); otherwise as the user running the tests.</summary>
    private void AsPostgres(string tool, params string[] args)
    {
        if (IsRoot) Run("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args]);
        else Run(Path.Combine(_bin, tool), args);
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2))) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)}"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        try { AsPostgres("pg_ctl", "-D", _data, "-m", "immediate", "-w", "stop"); } catch (InvalidOperationException) { }
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
