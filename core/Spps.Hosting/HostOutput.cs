using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Spps.Core;
using Spps.Core.Commands;

namespace Spps.Hosting;

/// <summary>
/// Where a host's words go: results to stdout (text, or one JSON document with --json), notices and
/// progress to stderr so stdout stays parseable. Every line is also offered to a log sink (save_log).
/// </summary>
public sealed class HostOutput(bool json, TextWriter stdout, TextWriter stderr)
{
    private readonly object _gate = new();

    public bool Json { get; } = json;
    public Action<string>? LogSink { get; set; }

    public void Line(string text)
    {
        lock (_gate)
        {
            LogSink?.Invoke(text);
            if (!Json) stdout.WriteLine(text);
        }
    }

    public void Notice(string text)
    {
        lock (_gate)
        {
            LogSink?.Invoke(text);
            stderr.WriteLine(text);
        }
    }

    public void Result(CommandResult result)
    {
        foreach (var line in result.Lines) Line(line);
    }

    public void JsonDocument(JToken document)
    {
        lock (_gate) stdout.WriteLine(document.ToString(Formatting.Indented));
    }

    public int Error(SppsException error, CommandResult? partial = null, string? command = null)
    {
        var text = error.ToString();
        lock (_gate)
        {
            LogSink?.Invoke(text);
            if (Json)
            {
                stdout.WriteLine(new JObject
                {
                    ["ok"] = false,
                    ["command"] = command,
                    ["data"] = partial?.Data,
                    ["messages"] = partial is null ? null : new JArray(partial.Lines),
                    ["error"] = new JObject
                    {
                        ["code"] = error.Code.Id,
                        ["message"] = error.Message,
                        ["file"] = error.Location?.File,
                        ["line"] = error.Location?.Line,
                        ["column"] = error.Location?.Column,
                    },
                }.ToString(Formatting.Indented));
            }
            stderr.WriteLine(text);
        }
        return ExitCodes.For(error.Code);
    }

    /// <summary>A bug: one line, no stack trace unless SPPS_DEBUG=1.</summary>
    public int Internal(Exception e)
    {
        lock (_gate)
        {
            stderr.WriteLine($"error {ErrorCodes.Internal}: internal error ({e.GetType().Name}: {e.Message}). This is a bug: run again with SPPS_DEBUG=1 and report the output.");
            if (Environment.GetEnvironmentVariable("SPPS_DEBUG") == "1") stderr.WriteLine(e);
        }
        return ExitCodes.Internal;
    }
}
