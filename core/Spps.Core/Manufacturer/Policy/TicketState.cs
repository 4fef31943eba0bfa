using System.Collections.Immutable;
using Spps.Core.Domain;

namespace Spps.Core.Manufacturer.Policy;

/// <summary>A ticket as its events tell it. Immutable: applying an event gives a new state.</summary>
public sealed record TicketState(
    TicketId Id,
    TicketReserved? Reservation,
    TicketLoaded? Load,
    TicketEnded? End,
    ImmutableHashSet<Dsn> Devices)
{
    public static TicketState Empty(TicketId id) => new(id, null, null, null, []);

    /// <summary>Set once remove_hsm_tickets removed the ticket (always after its end record).</summary>
    public TicketRemoved? Removal { get; init; }

    public bool Loaded => Load is not null;
    public bool Ended => End is not null;
    public bool Removed => Removal is not null;
    public long Issued => Devices.Count;
    public long MaxDevice => Load?.MaxDevice ?? Reservation?.MaxDevice ?? 0;
    public bool Unlimited => MaxDevice < 0;
    public long Left => Unlimited ? long.MaxValue : Math.Max(0, MaxDevice - Issued);
    public string Name => Load?.Name ?? Reservation?.Name ?? Id.Value;

    /// <summary>"active", or how it ended.</summary>
    public string StateName => End?.ModeName ?? "active";

    public bool HasDevice(Dsn dsn) => Devices.Contains(dsn);

    public TicketState Apply(LedgerEvent e) => e switch
    {
        TicketReserved r => this with { Reservation = r },
        TicketLoaded l => this with { Load = l },
        CodeIssued i => this with { Devices = Devices.Add(i.Dsn) },
        TicketEnded end => this with { End = end },
        TicketRemoved removed => this with { Removal = removed },
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "unknown ledger event"),
    };
}

/// <summary>Every ticket of one M-HSM, built by replaying its ledger's events in order.</summary>
public sealed class TicketBook
{
    private readonly Dictionary<TicketId, TicketState> _tickets = new();

    public TicketState? this[TicketId id] => _tickets.GetValueOrDefault(id);

    public IEnumerable<TicketState> All => _tickets.Values;

    public void Apply(LedgerEvent e) =>
        _tickets[e.Ticket] = (_tickets.GetValueOrDefault(e.Ticket) ?? TicketState.Empty(e.Ticket)).Apply(e);

    public static TicketBook Replay(IEnumerable<LedgerEvent> events)
    {
        var book = new TicketBook();
        foreach (var e in events) book.Apply(e);
        return book;
    }
}
