using CsCheck;
using Spps.Core.Domain;
using Spps.Core.Manufacturer.Policy;

namespace Spps.Core.Tests;

/// <summary>
/// The overbuild rule on its own: no HSM, no files. Examples first, then properties over random
/// interleavings of issues, retries, crashes (a counted device whose code was lost) and ends from several stations.
/// </summary>
public sealed class TicketPolicyTests
{
    private static readonly TicketId Ticket = LedgerTests.Id("5a");

    private static TicketBook Loaded(long max, KeyMode? mode = null)
    {
        var book = new TicketBook();
        book.Apply(new TicketReserved(Ticket, "prog", "dev", ProgrammingAction.Program, max, "job", "task", "req", "uhsm"));
        book.Apply(new TicketLoaded(Ticket, "job", "digest", "prog", "dev", ProgrammingAction.Program, max, mode ?? KeyMode.Dfk, "bs", "p.pro"));
        return book;
    }

    private static IssueRequest Ask(string dsn, ProgrammingAction? action = null, bool certificate = true, bool ephemeral = true) =>
        new(Ticket, action ?? ProgrammingAction.Program, LedgerTests.D(dsn), certificate, ephemeral);

    private static IssueDecision Issue(TicketBook book, IssueRequest request)
    {
        var decision = TicketPolicy.Decide(book[request.Ticket], request);
        if (decision is IssueDecision.Count count) book.Apply(count.Event);
        return decision;
    }

    [Fact]
    public void Devices_are_counted_up_to_max_device_and_the_next_is_refused_as_overbuild()
    {
        var book = Loaded(2);
        Assert.IsType<IssueDecision.Count>(Issue(book, Ask("A")));
        Assert.IsType<IssueDecision.Count>(Issue(book, Ask("B")));
        var refused = Assert.IsType<IssueDecision.Refuse>(Issue(book, Ask("C")));
        Assert.Equal(ErrorCodes.Overbuild, refused.Error.Code);
        Assert.Equal(2, book[Ticket]!.Issued);
    }

    [Theory]
    [InlineData("DEVICE_INFO")]
    [InlineData("READ_IDCODE")]
    [InlineData("VERIFY_DIGEST")]
    public void An_action_that_only_reads_the_device_is_never_given_a_code(string name)
    {
        var book = Loaded(2);
        var action = ProgrammingAction.Parse(name, what => new SppsException(ErrorCodes.InvalidOptionValue, what));
        Assert.False(action.NeedsAuthorizationCode);
        var refused = Assert.IsType<IssueDecision.Refuse>(Issue(book, Ask("A", action)));
        Assert.Equal(ErrorCodes.ActionNotAuthorized, refused.Error.Code);
        Assert.Equal(0, book[Ticket]!.Issued);
        Assert.Throws<SppsException>(() => ProgrammingAction.ParseTicketed(name, what => new SppsException(ErrorCodes.InvalidOptionValue, what)));
    }

    [Fact]
    public void Active_means_not_ended_with_codes_left_and_a_forced_removal_loses_exactly_those()
    {
        var book = Loaded(2);
        Issue(book, Ask("A"));
        Assert.True(TicketPolicy.IsActive(book[Ticket]!));
        Assert.Equal(1, TicketPolicy.CodesLostByRemoval(book[Ticket]!));
        Issue(book, Ask("B"));
        Assert.False(TicketPolicy.IsActive(book[Ticket]!)); // no code left: finished, even before its end record
        Assert.Equal(0, TicketPolicy.CodesLostByRemoval(book[Ticket]!));
        var reservedOnly = new TicketBook();
        reservedOnly.Apply(new TicketReserved(Ticket, "prog", "dev", ProgrammingAction.Program, 5, "job", "task", "req", "uhsm"));
        Assert.True(TicketPolicy.IsActive(reservedOnly[Ticket]!));
        Assert.Equal(5, TicketPolicy.CodesLostByRemoval(reservedOnly[Ticket]!));
    }

    [Fact]
    public void A_retry_on_a_counted_device_is_free_even_when_no_codes_are_left()
    {
        var book = Loaded(1);
        Issue(book, Ask("A"));
        Assert.IsType<IssueDecision.Retry>(Issue(book, Ask("A")));
        Assert.Equal(1, book[Ticket]!.Issued);
    }

    [Fact]
    public void Unlimited_tickets_never_refuse_for_count()
    {
        var book = Loaded(-1);
        for (var i = 0; i < 50; i++) Assert.IsType<IssueDecision.Count>(Issue(book, Ask($"D{i}")));
        Assert.Equal(50, book[Ticket]!.Issued);
    }

    [Theory]
    [InlineData("not loaded")]
    [InlineData("ended")]
    [InlineData("wrong action")]
    [InlineData("no certificate")]
    [InlineData("no ephemeral key")]
    public void Refusals_carry_their_code(string why)
    {
        var book = why == "not loaded" ? new TicketBook() : Loaded(5, why.StartsWith("no ", StringComparison.Ordinal) ? KeyMode.Kfpe : KeyMode.Dfk);
        if (why == "ended") book.Apply(new TicketEnded(Ticket, 0, "head", TicketEndMode.Terminated));
        var request = why switch
        {
            "wrong action" => Ask("A", ProgrammingAction.Verify),
            "no certificate" => Ask("A", certificate: false),
            "no ephemeral key" => Ask("A", ephemeral: false),
            _ => Ask("A"),
        };
        var refused = Assert.IsType<IssueDecision.Refuse>(TicketPolicy.Decide(book[Ticket], request));
        var expected = why switch
        {
            "not loaded" or "ended" => ErrorCodes.TicketNotActive,
            "wrong action" => ErrorCodes.ActionNotAuthorized,
            "no certificate" => ErrorCodes.DeviceNotGenuine,
            _ => ErrorCodes.DeviceProtocol,
        };
        Assert.Equal(expected, refused.Error.Code);
    }

    /// <summary>One step of a random production: which station, which device, and what happens.</summary>
    private sealed record Step(int Kind, int Station, int Device);

    private static readonly Gen<Step> Steps = Gen.Select(Gen.Int[0, 11], Gen.Int[0, 3], Gen.Int[0, 15], (kind, station, device) => new Step(kind, station, device));

    private static readonly Gen<(long Max, Step[] Steps)> Productions = Gen.Select(Gen.Long[1, 12], Steps.Array[0, 150]);

    /// <summary>
    /// Runs a production against the policy. Kinds: 0-7 a station asks for a device's code and gets it,
    /// 8 a crash after the count was recorded (the code never reaches the device), 9 a request for another
    /// action, 10 the job ends (completion or -terminate), 11 a station asks again for a device it had.
    /// </summary>
    private static (TicketBook Book, List<LedgerEvent> Events, HashSet<string> Delivered) Run(long max, Step[] steps, Action<TicketBook, Step, IssueDecision?, long> check)
    {
        var book = Loaded(max);
        var events = new List<LedgerEvent> { book[Ticket]!.Reservation!, book[Ticket]!.Load! };
        var delivered = new HashSet<string>();
        foreach (var step in steps)
        {
            var before = book[Ticket]!.Issued;
            IssueDecision? decision = null;
            var dsn = $"S{step.Station}-D{step.Device}";
            switch (step.Kind)
            {
                case <= 8 or 11:
                    decision = TicketPolicy.Decide(book[Ticket], Ask(step.Kind == 11 && delivered.Count > 0 ? delivered.First() : dsn));
                    if (decision is IssueDecision.Count count) { book.Apply(count.Event); events.Add(count.Event); }
                    if (decision is IssueDecision.Count or IssueDecision.Retry && step.Kind != 8) delivered.Add(step.Kind == 11 && delivered.Count > 0 ? delivered.First() : dsn);
                    break;
                case 9:
                    decision = TicketPolicy.Decide(book[Ticket], Ask(dsn, ProgrammingAction.Erase));
                    break;
                case 10:
                    if (TicketPolicy.EndMode(book[Ticket]!, terminate: true) is { } mode)
                    {
                        var end = new TicketEnded(Ticket, book[Ticket]!.Issued, "head", mode);
                        book.Apply(end);
                        events.Add(end);
                    }
                    break;
            }
            check(book, step, decision, before);
        }
        return (book, events, delivered);
    }

    [Fact]
    public void Issued_never_exceeds_max_device() =>
        Productions.Sample(p => Run(p.Max, p.Steps, (book, _, _, _) => Assert.InRange(book[Ticket]!.Issued, 0, p.Max)));

    [Fact]
    public void A_retry_on_a_device_already_counted_is_free() =>
        Productions.Sample(p => Run(p.Max, p.Steps, (book, step, decision, before) =>
        {
            if (decision is IssueDecision.Retry) Assert.Equal(before, book[Ticket]!.Issued);
            if (decision is IssueDecision.Count) Assert.Equal(before + 1, book[Ticket]!.Issued);
        }));

    [Fact]
    public void Every_device_counted_before_an_end_may_retry_and_no_new_device_is_counted_after_it() =>
        Productions.Sample(p => Run(p.Max, p.Steps, (book, step, decision, before) =>
        {
            var state = book[Ticket]!;
            if (state.Ended && step.Kind != 10)
            {
                var refused = Assert.IsType<IssueDecision.Refuse>(decision ?? TicketPolicy.Decide(state, Ask("late")));
                Assert.Equal(ErrorCodes.TicketNotActive, refused.Error.Code);
                Assert.Equal(before, state.Issued);
            }
            if (!state.Ended && step.Kind <= 8 && state.HasDevice(LedgerTests.D($"S{step.Station}-D{step.Device}")))
                Assert.IsNotType<IssueDecision.Refuse>(decision);
        }));

    [Fact]
    public void An_action_the_ticket_does_not_authorize_is_always_refused() =>
        Productions.Sample(p => Run(p.Max, p.Steps, (_, step, decision, _) =>
        {
            if (step.Kind == 9) Assert.IsType<IssueDecision.Refuse>(decision);
        }));

    [Fact]
    public void Replaying_the_events_gives_the_same_state() =>
        Productions.Sample(p =>
        {
            var (book, events, delivered) = Run(p.Max, p.Steps, (_, _, _, _) => { });
            var replayed = TicketBook.Replay(events)[Ticket]!;
            var live = book[Ticket]!;
            Assert.Equal(live.Issued, replayed.Issued);
            Assert.Equal(live.Ended, replayed.Ended);
            Assert.True(live.Devices.SetEquals(replayed.Devices));
            // Every device that got a code is counted: a crash may lose a code, never a count.
            Assert.All(delivered, dsn => Assert.Contains(LedgerTests.D(dsn), replayed.Devices));
        });
}
