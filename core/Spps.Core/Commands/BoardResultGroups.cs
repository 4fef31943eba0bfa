using Spps.Core.Manufacturer;

namespace Spps.Core.Commands;

/// <summary>
/// Failed boards grouped by error code, so 198 refusals read as one line, e.g.
/// <c>198 × SPPS4008 (Overbuild): board-003 … board-200</c>, with one example message per group.
/// Presentation for the command tables and the hosts' progress views (console, web UI).
/// </summary>
public static class BoardResultGroups
{
    private const int NamesShown = 3;

    public sealed record Group(ErrorCode Code, IReadOnlyList<string> Boards, string Example)
    {
        public string Title => Code.Name;

        public string Line => $"{Boards.Count} × {Code.Id} ({Code.Name}): {Names(Boards)}";
    }

    public static IReadOnlyList<Group> Of(IEnumerable<BoardResult> failed) =>
        failed.GroupBy(f => f.ErrorCode ?? ErrorCodes.DeviceRefused)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key.Id, StringComparer.Ordinal)
            .Select(g => new Group(g.Key, g.Select(f => Path.GetFileName(f.Location)).Order(StringComparer.Ordinal).ToList(), g.First().Message))
            .ToList();

    /// <summary>Every group on one line each, then one example message per group.</summary>
    public static string Summary(IEnumerable<BoardResult> failed)
    {
        var groups = Of(failed);
        return string.Join("\n", groups.Select(g => g.Line).Concat(groups.Select(g => $"  e.g. {g.Boards[0]}: {g.Example}")));
    }

    private static string Names(IReadOnlyList<string> boards) =>
        boards.Count <= NamesShown + 1
            ? string.Join(", ", boards)
            : string.Join(", ", boards.Take(NamesShown)) + " … " + boards[^1];
}
