using Spectre.Console;

namespace Spps.Hosting;

/// <summary>
/// One live progress line on stderr (Spectre.Console): a description, a bar, the percentage and the elapsed
/// time, redrawn while work reports from any thread. Only for a terminal; <see cref="Dispose"/> draws the
/// last state and gives the console back.
/// </summary>
internal sealed class LiveBar : IDisposable
{
    private readonly Thread _view;
    private readonly ManualResetEventSlim _ready = new();
    private readonly ManualResetEventSlim _finished = new();
    private ProgressTask? _task;

    public LiveBar(string description, double total)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        _view = new Thread(() => console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                _task = ctx.AddTask(description, maxValue: Math.Max(1, total));
                _ready.Set();
                _finished.Wait();
                ctx.Refresh();
            })) { IsBackground = true, Name = "live progress" };
        _view.Start();
        _ready.Wait();
    }

    /// <summary>Sets the line (Spectre markup) and, when given, how much is done; the bar never goes back.</summary>
    public void Update(string description, double? done = null)
    {
        var task = _task!;
        task.Description = description;
        if (done is { } value && value > task.Value) task.Value = value;
    }

    public void Dispose()
    {
        _finished.Set();
        _view.Join();
    }
}
