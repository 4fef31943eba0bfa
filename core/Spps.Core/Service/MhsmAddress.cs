namespace Spps.Core.Service;

/// <summary>Where an M-HSM service listens: <c>unix:PATH</c> (one machine) or <c>https://HOST:PORT</c> (mutual TLS 1.3).</summary>
public sealed record MhsmAddress(string Text, string? SocketPath, string? Host, int Port)
{
    public bool IsUnix => SocketPath is not null;

    public override string ToString() => Text;

    public static MhsmAddress Parse(string text, string what = "M-HSM service address")
    {
        var t = text.Trim();
        if (t.StartsWith("unix:", StringComparison.Ordinal) && t.Length > 5)
            return new MhsmAddress(t, Path.GetFullPath(t[5..]), null, 0);
        if (Uri.TryCreate(t, UriKind.Absolute, out var uri) && uri.Scheme == "https" && !uri.IsDefaultPort && uri.AbsolutePath == "/")
            return new MhsmAddress(t.TrimEnd('/'), null, uri.Host, uri.Port);
        throw new SppsException(ErrorCodes.InvalidOptionValue, $"'{text}' is not a {what}: write unix:PATH or https://HOST:PORT (e.g. https://mhsm.factory.example:7443).");
    }

    /// <summary>A comma-separated list, as in SPPS_MHSM.</summary>
    public static IReadOnlyList<MhsmAddress> ParseList(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(a => Parse(a)).ToList();
}
