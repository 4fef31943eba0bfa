using Spps.Core.Domain;
using Spps.Core.Manufacturer.Policy;

namespace Spps.Core.Manufacturer;

/// <summary>
/// Group commit for code issuance. Requests that arrive while a ledger step is running wait in a queue; the first
/// of them then leads the next step for all of them (up to <see cref="TicketKeys.LagAllowed"/>): one ledger scope
/// in which each request gets its policy decision in arrival order, each counted device is appended, and one
/// commit (one PostgreSQL transaction, or one fsync of the file) makes them durable together. Every caller is
/// answered only after that commit. Then, in a scope of its own, each counted ticket's HSM-held marker moves to
/// the committed count, once per ticket per batch: the marker may lag the ledger by at most one batch, never lead it.
/// </summary>
/// <remarks>
/// Exactly once per (ticket, DSN) holds inside a batch as across batches: each append updates the ledger's
/// ticket book before the next request of the batch is decided, so a second request for a device in the
/// same batch is a retry, and the count never passes max_device. If the commit fails, every request of the
/// batch fails with the store's error and, the scope rolled back, none is counted (PostgreSQL) or each may
/// be counted without a code having left (file store): never a code without its record.
/// No thread is dedicated: the leader is a caller, and a caller waiting asynchronously holds no thread.
/// </remarks>
public sealed class IssueBatcher(Ledger ledger, TicketKeys ticketKeys)
{
    private readonly object _gate = new();
    private readonly Queue<Pending> _queue = new();
    private bool _busy;
    private long _commits;
    private long _counted;

    /// <summary>Ledger commits that counted at least one device, and the devices they counted: their ratio is the mean group size.</summary>
    public (long Commits, long Codes) Committed => (Interlocked.Read(ref _commits), Interlocked.Read(ref _counted));

    /// <summary>The policy's decision for one request, durable in the ledger when counted (blocks the calling thread).</summary>
    public IssueDecision Decide(IssueRequest request)
    {
        var pending = Enqueue(request, out var lead);
        if (!lead) pending.Turn.Task.Wait(); // answered, or made the leader
        if (!pending.Answered) Lead();
        return pending.Result();
    }

    /// <summary>As <see cref="Decide"/>, waiting without holding a thread (the service's path).</summary>
    public async Task<IssueDecision> DecideAsync(IssueRequest request)
    {
        var pending = Enqueue(request, out var lead);
        if (!lead) await pending.Turn.Task.ConfigureAwait(false);
        if (!pending.Answered) Lead();
        return pending.Result();
    }

    private Pending Enqueue(IssueRequest request, out bool lead)
    {
        var pending = new Pending(request);
        lock (_gate)
        {
            _queue.Enqueue(pending);
            lead = !_busy;
            _busy = true;
        }
        return pending;
    }

    /// <summary>One batch: the queue's head (this caller) and those behind it; then the next waiter leads, or nobody.</summary>
    private void Lead()
    {
        var batch = new List<Pending>();
        lock (_gate)
            while (_queue.Count > 0 && batch.Count < TicketKeys.LagAllowed) batch.Add(_queue.Dequeue());
        try
        {
            Dictionary<TicketId, long> counted = [];
            try
            {
                counted = Commit(batch);
            }
            catch (Exception e)
            {
                foreach (var p in batch) p.Fail(e); // the store's error (or a bug) reaches every caller of the batch
            }
            finally
            {
                foreach (var p in batch) p.Answer();
            }
            MoveMarkers(counted);
        }
        finally
        {
            lock (_gate)
            {
                if (_queue.Count > 0) _queue.Peek().Turn.TrySetResult(); // its turn to lead
                else _busy = false;
            }
        }
    }

    /// <summary>
    /// Decides every request of the batch in one ledger scope and commits the counted ones together. Returns each
    /// counted ticket with the count its marker was checked at, where <see cref="MoveMarkers"/> finds it.
    /// </summary>
    private Dictionary<TicketId, long> Commit(List<Pending> batch)
    {
        var counted = new Dictionary<TicketId, long>();
        ledger.Locked(() =>
        {
            var markers = new Dictionary<TicketId, SppsException?>();
            foreach (var p in batch)
            {
                var state = ledger.Ticket(p.Request.Ticket);
                if (state is { Loaded: true, Ended: false } && !markers.ContainsKey(state.Id))
                    markers[state.Id] = CheckMarker(state);
                if (markers.GetValueOrDefault(p.Request.Ticket) is { } rolledBack)
                {
                    p.Fail(rolledBack);
                    continue;
                }
                var decision = TicketPolicy.Decide(state, p.Request);
                if (decision is IssueDecision.Count count)
                {
                    counted.TryAdd(count.Event.Ticket, state!.Issued);
                    ledger.Append(count.Event, durable: false);
                }
                p.Decision = decision;
            }
            // One fsync for the file store; PostgreSQL's commit when this scope ends is the durable point.
            if (counted.Count > 0) ledger.MakeDurable();
            return 0;
        });
        var codes = batch.Count(p => p.Decision is IssueDecision.Count);
        if (codes > 0)
        {
            Interlocked.Increment(ref _commits);
            Interlocked.Add(ref _counted, codes);
        }
        return counted;
    }

    private SppsException? CheckMarker(TicketState state)
    {
        try
        {
            ticketKeys.CheckCount(state.Id, state.Name, state.Issued);
            return null;
        }
        catch (SppsException e) { return e; } // HsmException is an SppsException
    }

    /// <summary>
    /// The HSM's count follows the committed records, once per ticket. A failure here leaves the marker behind,
    /// which the next batch's check repairs (or refuses with SPPS4017 if the ledger went backwards meanwhile).
    /// </summary>
    private void MoveMarkers(Dictionary<TicketId, long> counted)
    {
        if (counted.Count == 0) return;
        try
        {
            ledger.Locked(() =>
            {
                foreach (var (ticket, checkedAt) in counted)
                    if (ledger.Ticket(ticket) is { } state) ticketKeys.MoveCount(ticket, state.Name, checkedAt, state.Issued);
                return 0;
            });
        }
        catch (SppsException) { /* behind, never ahead: the next check deals with it */ }
    }

    private sealed class Pending(IssueRequest request)
    {
        private Exception? _error;

        public IssueRequest Request { get; } = request;
        public IssueDecision? Decision { get; set; }

        /// <summary>Completed when this request is answered, or when its caller is to lead the next batch.</summary>
        public TaskCompletionSource Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Answered { get; private set; }

        public void Fail(Exception e) => _error ??= e;

        public void Answer()
        {
            Answered = true;
            Turn.TrySetResult();
        }

        public IssueDecision Result()
        {
            if (_error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_error);
            return Decision ?? throw new InvalidOperationException("an issue request left its batch without a decision");
        }
    }
}
