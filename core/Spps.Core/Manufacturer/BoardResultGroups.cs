using System.Reflection;

namespace Spps.Core.Manufacturer;

/// <summary>
/// Failed boards grouped by error code, so 198 refusals read as one line, e.g.
/// <c>198 × SPPS4008 (Overbuild): board-003 … board-200</c>, with one example message per group.
/// </summary>
public static class BoardResultGroups
{
    private const int NamesShown = 3;

    public sealed record Group(string Code, string Title, IReadOnlyList<string> Boards, string Example)
    {
        public string Line => $"{Boards.Count} × {Code} ({Title}): {Names(Boards)}";
    }

    public static IReadOnlyList<Group> Of(IEnumerable<BoardResult> failed) =>
        failed.GroupBy(f => f.ErrorCode ?? ErrorCodes.DeviceRefused)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new Group(g.Key, Title(g.Key), g.Select(f => Path.GetFileName(f.Location)).Order(StringComparer.Ordinal).ToList(), g.First().Message))
            .ToList();

    /// <summary>Every group on one line each, then one example message per group.</summary>
    public static string Summary(IEnumerable<BoardResult> failed)
    {
        var groups = Of(failed);
        return string.Join("\n", groups.Select(g => g.Line).Concat(groups.Select(g => $"  e.g. {g.Boards[0]}: {g.Example}")));
    }

    /// <summary>The code's name in <see cref="ErrorCodes"/> (and docs/errors.md), e.g. Overbuild.</summary>
    public static string Title(string code) =>
        typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .FirstOrDefault(f => f.IsLiteral && (string?)f.GetRawConstantValue() == code)?.Name ?? "error";

    private static string Names(IReadOnlyList<string> boards) =>
        boards.Count <= NamesShown + 1
            ? string.Join(", ", boards)
            : string.Join(", ", boards.Take(NamesShown)) + " … " + boards[^1];
}
