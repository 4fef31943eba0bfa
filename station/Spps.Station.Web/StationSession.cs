using System.Text.Json;
using System.Threading.Channels;
using Spps.Core.Commands;
using Spps.Core.Manufacturer;

namespace Spps.Station.Web;

/// <summary>
/// The state one station's web UI shows: the current run's devices and counts, the log, the refusals,
/// and the browsers listening for events. Backend calls go through here one at a time; a run works on a
/// background task and reports through server-sent events.
/// </summary>
public sealed class StationSession(IStationBackend backend)
{
    private const int LogLines = 2000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly object _gate = new();
    private readonly SemaphoreSlim _backendGate = new(1, 1);
    private readonly List<Channel<string>> _listeners = new();
    private readonly List<string> _log = new();
    private readonly List<Refusal> _refusals = new();
    private readonly Dictionary<string, DeviceRow> _devices = new(StringComparer.Ordinal);
    private readonly List<BoardResult> _failedThisRun = new();
    private CancellationTokenSource? _stop;
    private Task? _run;
    private RunCounts _counts = new("", 0, 0, 0, 0, false);

    public sealed record DeviceRow(string Location, string Board, string State, string? Dsn, string? Message, string? Code, string? Title);
    public sealed record Refusal(string Time, string Board, string Code, string Title, string Message);
    public sealed record RunCounts(string Action, int Total, int Done, int Passed, int Failed, bool Running, bool Stopped = false);

    public IStationBackend Backend => backend;
    public int Listeners { get { lock (_gate) return _listeners.Count; } }
    public bool Running { get { lock (_gate) return _run is { IsCompleted: false }; } }

    public object State()
    {
        var job = SafeJob();
        lock (_gate)
            return new
            {
                job, programmers = backend.Programmers, run = _counts,
                devices = _devices.Values.OrderBy(d => d.Board, StringComparer.Ordinal).ToList(),
                log = _log.ToList(), refusals = _refusals.ToList(),
            };
    }

    public object MhsmState()
    {
        var view = backend.Mhsm(); // read-only, so also while a run goes on
        lock (_gate)
            return new { mhsm = view, browsersConnected = _listeners.Count, refusals = _refusals.ToList(), run = _counts };
    }

    public T WithBackend<T>(Func<T> work)
    {
        if (!_backendGate.Wait(0))
            throw new SppsException(ErrorCodes.BoardBusy, "The station is busy with a run: wait for it to finish, or press STOP.");
        try { return work(); }
        finally { _backendGate.Release(); }
    }

    public void Log(string line)
    {
        var stamped = $"{DateTime.Now:HH:mm:ss} {line}";
        lock (_gate)
        {
            _log.Add(stamped);
            if (_log.Count > LogLines) _log.RemoveRange(0, _log.Count - LogLines);
        }
        Publish(new { type = "log", line = stamped });
    }

    /// <summary>Starts a run on a background task; throws when one is already running.</summary>
    public void StartRun(string action, IReadOnlyList<string> programmers)
    {
        if (!_backendGate.Wait(0))
            throw new SppsException(ErrorCodes.BoardBusy, "A run is already going on: wait for it to finish, or press STOP.");
        var stop = new CancellationTokenSource();
        lock (_gate)
        {
            _stop = stop;
            _devices.Clear();
            _failedThisRun.Clear();
            _counts = new RunCounts(action, 0, 0, 0, 0, true);
        }
        Log($"RUN {action} on {string.Join(", ", programmers)}");
        Publish(new { type = "run", run = _counts });
        _run = Task.Run(() =>
        {
            try
            {
                var outcome = backend.Run(action, programmers, new Reporter(Progress), stop.Token);
                foreach (var line in outcome.Lines) Log(line);
                List<BoardResult> failed;
                lock (_gate) failed = _failedThisRun.ToList();
                foreach (var group in BoardResultGroups.Of(failed)) Log("  " + group.Line);
                if (outcome.Error is not null) Log($"error {outcome.ErrorCode}: {outcome.Error}");
            }
            catch (SppsException e) { Log(e.ToString()); }
            catch (Exception e) when (e is not OutOfMemoryException) { Log($"error SPPS9999: internal error ({e.GetType().Name}: {e.Message})"); }
            finally
            {
                lock (_gate) _counts = _counts with { Running = false, Stopped = stop.IsCancellationRequested };
                _backendGate.Release();
                Publish(new { type = "finished", run = _counts, job = SafeJob() });
            }
        });
    }

    public bool Stop()
    {
        lock (_gate)
        {
            if (_stop is null || _run is not { IsCompleted: false }) return false;
            _stop.Cancel();
        }
        Log("STOP pressed: devices already started finish; the others are not run.");
        return true;
    }

    public ChannelReader<string> Subscribe(out Action unsubscribe)
    {
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate) _listeners.Add(channel);
        Publish(new { type = "listeners", count = Listeners });
        unsubscribe = () =>
        {
            lock (_gate) _listeners.Remove(channel);
            Publish(new { type = "listeners", count = Listeners });
        };
        return channel.Reader;
    }

    public void Publish(object message)
    {
        var text = JsonSerializer.Serialize(message, Json);
        lock (_gate)
            foreach (var listener in _listeners) listener.Writer.TryWrite(text);
    }

    /// <summary>Presents a run's <see cref="ProductionProgress"/> (reports come from the boards' threads): counts, rows, log and refusals.</summary>
    private void Progress(ProductionProgress e)
    {
        if (e.IsHeader)
        {
            lock (_gate) _counts = _counts with { Total = _counts.Total + e.Total };
            Log($"Running {e.Action} on {e.Total} device(s) through {e.Programmer}; authorization codes from {e.Issuer} ...");
            Publish(new { type = "run", run = _counts });
            return;
        }
        if (e.Starting is { } location)
        {
            var started = new DeviceRow(location, Path.GetFileName(location), "running", null, null, null, null);
            lock (_gate) _devices[location] = started;
            Publish(new { type = "device", device = started });
            return;
        }
        var r = e.Board!;
        var row = new DeviceRow(r.Location, Path.GetFileName(r.Location), r.Succeeded ? "passed" : r.Skipped ? "skipped" : "failed", r.Dsn, r.Message,
            r.ErrorCode?.Id, r.ErrorCode?.Name);
        lock (_gate)
        {
            _devices[r.Location] = row;
            _counts = _counts with { Done = _counts.Done + 1, Passed = _counts.Passed + (r.Succeeded ? 1 : 0), Failed = _counts.Failed + (r.Failed ? 1 : 0) };
            if (r.Failed) _refusals.Add(new Refusal(DateTime.Now.ToString("HH:mm:ss"), row.Board, row.Code ?? "", row.Title ?? "", r.Message));
            if (r.Failed) _failedThisRun.Add(r);
        }
        Log(r.Succeeded ? $"{row.Board}: {r.Message}" : r.Skipped ? $"{row.Board}: skipped: {r.Message}" : $"{row.Board}: error {row.Code} ({row.Title}): {r.Message}");
        Publish(new { type = "device", device = row, run = _counts, tickets = backend.Tickets() });
    }

    /// <summary>Reports on the caller's thread (System.Progress would post them to the thread pool, out of order).</summary>
    private sealed class Reporter(Action<ProductionProgress> report) : IProgress<ProductionProgress>
    {
        public void Report(ProductionProgress value) => report(value);
    }

    private JobView? SafeJob()
    {
        try { return backend.Job; }
        catch (SppsException) { return null; }
    }
}
