using Spps.Core.Domain;

namespace Spps.Benchmarks;

/// <summary>Typed IDs from the strings the benchmark scenarios carry.</summary>
internal static class Ids
{
    public static TicketId Ticket(string text) => TicketId.Parse(text, what => new SppsException(ErrorCodes.InvalidField, $"Expected {what}."));
    public static ProgrammingAction Action(string text) => ProgrammingAction.Parse(text, what => new SppsException(ErrorCodes.InvalidField, $"Expected {what}."));
    public static Dsn Dsn(string text) => Spps.Core.Domain.Dsn.Parse(text, what => new SppsException(ErrorCodes.InvalidField, $"Expected {what}."));
}
