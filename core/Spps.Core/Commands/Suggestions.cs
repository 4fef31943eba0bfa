namespace Spps.Core.Commands;

/// <summary>"Did you mean" for mistyped command and option names: the closest candidate by edit distance.</summary>
public static class Suggestions
{
    /// <summary>The candidate closest to <paramref name="typed"/>, if it is close enough to be a typo.</summary>
    public static string? Closest(string typed, IEnumerable<string> candidates)
    {
        var normal = Normalize(typed);
        return candidates
            .Select(c => (Name: c, Distance: Distance(normal, Normalize(c))))
            .Where(c => c.Distance <= Math.Max(2, normal.Length / 3))
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => c.Name)
            .FirstOrDefault();
    }

    /// <summary>" Did you mean 'x'?" or nothing.</summary>
    public static string DidYouMean(string typed, IEnumerable<string> candidates) =>
        Closest(typed, candidates) is { } best ? $" Did you mean '{best}'?" : "";

    // Scripts spell commands with '_', the command line with '-'; both are the same name.
    private static string Normalize(string name) => name.TrimStart('-').Replace('-', '_').ToLowerInvariant();

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
