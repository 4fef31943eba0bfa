using System.Diagnostics;
using OpenQA.Selenium.Chrome;

namespace Spps.Ui.Tests;

/// <summary><c>spps-station ui</c> as a process on a free loopback port (it prints the URL it serves).</summary>
public sealed class UiServer : IDisposable
{
    private const string Banner = "Serving the operator UI on ";
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    public UiServer(string folder, string home, params string[] arguments) : this(folder, home, new Dictionary<string, string>(), arguments)
    {
    }

    /// <param name="environment">Extra variables for the server process (e.g. SPPS_SIM_PROGRAM_MS).</param>
    public UiServer(string folder, string home, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = Tool.Station.Info(folder, home, ["ui", "--listen", "http://127.0.0.1:0", .. arguments]);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        _process = Process.Start(info)!;
        var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) { url.TrySetException(new InvalidOperationException("spps-station ui ended:\n" + Output)); return; }
            lock (_output) _output.AppendLine(e.Data);
            if (e.Data.StartsWith(Banner, StringComparison.Ordinal)) url.TrySetResult(e.Data[Banner.Length..].Split(' ', ',')[0]);
        };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!url.Task.Wait(TimeSpan.FromMinutes(2))) throw new TimeoutException("spps-station ui did not start in 2 minutes:\n" + Output);
        Url = url.Task.Result.TrimEnd('/');
    }

    public string Url { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }

    /// <summary>Debian's chromium, headless, through Debian's chromedriver: no browser is downloaded.</summary>
    public static ChromeDriver Browser()
    {
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,2600", "--lang=en-US");
        return new ChromeDriver(service, options, TimeSpan.FromMinutes(2));
    }
}
