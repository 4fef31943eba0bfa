using Spps.Core.Commands;
using Spps.Core.Domain;
using Spps.Core.Manufacturer;

namespace Spps.Core.Tests;

public sealed class BoardResultGroupsTests
{
    private static BoardResult Failed(int board, ErrorCode code, string message) =>
        new($"/boards/board-{board:000}.json", null, ProgrammingAction.Program, false, message, code, null);

    [Fact]
    public void Two_hundred_refusals_read_as_one_line_per_code_with_the_first_and_last_boards()
    {
        var failed = Enumerable.Range(3, 198).Select(b => Failed(b, ErrorCodes.Overbuild, $"no codes left for board {b}"))
            .Append(Failed(1, ErrorCodes.DeviceProtocol, "the board stopped answering"))
            .ToList();

        var groups = BoardResultGroups.Of(failed);

        Assert.Equal(["198 × SPPS4008 (Overbuild): board-003.json, board-004.json, board-005.json … board-200.json", "1 × SPPS5003 (DeviceProtocol): board-001.json"],
            groups.Select(g => g.Line));
        Assert.Equal("""
            198 × SPPS4008 (Overbuild): board-003.json, board-004.json, board-005.json … board-200.json
            1 × SPPS5003 (DeviceProtocol): board-001.json
              e.g. board-003.json: no codes left for board 3
              e.g. board-001.json: the board stopped answering
            """, BoardResultGroups.Summary(failed));
    }

    [Fact]
    public void Up_to_four_boards_are_all_named()
    {
        var line = BoardResultGroups.Of(Enumerable.Range(1, 4).Select(b => Failed(b, ErrorCodes.Overbuild, "x"))).Single().Line;
        Assert.Equal("4 × SPPS4008 (Overbuild): board-001.json, board-002.json, board-003.json, board-004.json", line);
    }
}
