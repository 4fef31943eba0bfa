using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Spps.Mhsm.Service;

/// <summary>
/// Who may ask on the service's Unix socket: the service's own user, or members of one configured group
/// (<c>mhsm serve --allow-group NAME</c>). The kernel names the peer (SO_PEERCRED), so a socket whose file
/// mode was loosened still answers only them. The connection is let through and every call on it refused
/// with SPPS4020, so a refused peer gets an answer rather than a dropped connection.
/// </summary>
public sealed class LocalPeers
{
    private const string ItemKey = "spps.local-peer-refusal";
    private readonly uint _self = geteuid();
    private readonly uint? _group;
    private readonly string? _groupName;

    public LocalPeers(string? groupName)
    {
        _groupName = groupName;
        if (groupName is null) return;
        _group = GroupId(groupName) ?? throw new SppsException(ErrorCodes.InvalidOptionValue, $"--allow-group {groupName}: there is no such group on this machine.");
    }

    /// <summary>Kestrel connection middleware for a Unix-socket listener: notes why a peer is refused, if it is.</summary>
    public Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => connection =>
    {
        if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket && Refusal(socket) is { } why)
            connection.Items[ItemKey] = why;
        return next(connection);
    };

    /// <summary>Gives the socket file to the allowed group (it was created 0660, owned by the service's user and group).</summary>
    public void GrantGroup(string socketPath)
    {
        if (_group is { } gid && OperatingSystem.IsLinux() && chown(socketPath, uint.MaxValue, gid) != 0)
            throw new SppsException(ErrorCodes.InvalidOptionValue, $"--allow-group {_groupName}: cannot give {socketPath} to that group (error {Marshal.GetLastPInvokeError()}); the service's user must be a member of it.");
    }

    /// <summary>Why the caller on this request's connection may not ask, or null when it may.</summary>
    public static string? RefusalOf(HttpContext http) =>
        http.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ItemKey, out var why) == true ? (string?)why : null;

    private string? Refusal(Socket socket)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var credentials = new byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        int length;
        try { length = socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials); }
        catch (SocketException e) { return $"its credentials could not be read ({e.SocketErrorCode})"; }
        if (length < credentials.Length) return "its credentials could not be read";
        var pid = BitConverter.ToInt32(credentials, 0);
        var uid = BitConverter.ToUInt32(credentials, 4);
        var gid = BitConverter.ToUInt32(credentials, 8);
        if (uid == _self) return null;
        if (_group is { } allowed && (gid == allowed || SupplementaryGroups(pid).Contains(allowed))) return null;
        return _groupName is null
            ? $"the local process {pid} runs as user {uid}, and this service answers only its own user ({_self}); serve with --allow-group to admit a group"
            : $"the local process {pid} runs as user {uid}, which is neither this service's user ({_self}) nor in group {_groupName}";
    }

    private static IEnumerable<uint> SupplementaryGroups(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("Groups:", StringComparison.Ordinal));
            return line is null ? [] : line["Groups:".Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(uint.Parse).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return []; }
    }

    private static uint? GroupId(string name)
    {
        foreach (var line in File.ReadLines("/etc/group"))
        {
            var fields = line.Split(':');
            if (fields.Length >= 3 && fields[0] == name && uint.TryParse(fields[2], out var gid)) return gid;
        }
        return uint.TryParse(name, out var numeric) ? numeric : null;
    }

    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    [DllImport("libc", SetLastError = false)]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    private static extern int chown(string path, uint owner, uint group);
}
