using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spps.Core;

namespace Spps.Station.Web;

/// <summary>How the UI listens: the URL, and the token a remote browser must present.</summary>
public sealed record StationWebOptions(string Listen, string? Token);

/// <summary>
/// Serves the operator's web UI. On the loopback address by default, where only requests naming this
/// machine (Host header) are answered; on any other address only with a token (SPPS_UI_TOKEN or a token
/// file), which the browser presents once as <c>?token=</c> and then as an HttpOnly cookie, or as a Bearer
/// header. Every POST must carry the header <c>X-Spps-Ui: 1</c>, which a page of another site cannot send.
/// </summary>
public static class StationWebHost
{
    public const string TokenVariable = "SPPS_UI_TOKEN";
    private const string CookieName = "spps_ui_token";
    private const string PostHeader = "X-Spps-Ui";

    public static WebApplication Build(StationWebOptions options, StationSession session)
    {
        if (!Uri.TryCreate(options.Listen, UriKind.Absolute, out var listen) || listen.Scheme != Uri.UriSchemeHttp)
            throw new SppsException(ErrorCodes.InvalidOptionValue, $"--listen takes http://ADDRESS:PORT, e.g. http://127.0.0.1:5080, not '{options.Listen}'.");
        var loopback = IsLoopback(listen.Host);
        if (!loopback && string.IsNullOrEmpty(options.Token))
            throw new SppsException(ErrorCodes.UiTokenRequired,
                $"{options.Listen} is reachable from other machines: set {TokenVariable} or pass --token-file FILE, so that only holders of the token can operate this station.");

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(options.Listen);
        var app = builder.Build();

        app.Use(async (context, next) =>
        {
            if (loopback && !IsLoopback(context.Request.Host.Host))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync("This station's UI answers only requests addressed to this machine (127.0.0.1 or localhost).");
                return;
            }
            if (!string.IsNullOrEmpty(options.Token) && !Authorized(context, options.Token))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await context.Response.WriteAsync("This station's UI needs its token: open it once as /?token=TOKEN (the token is in the station's token file or SPPS_UI_TOKEN).");
                return;
            }
            if (HttpMethods.IsPost(context.Request.Method) && context.Request.Headers[PostHeader] != "1")
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync($"POST requests need the header {PostHeader}: 1.");
                return;
            }
            await next(context);
        });

        app.MapGet("/", () => Page("index.html"));
        app.MapGet("/mhsm", () => Page("mhsm.html"));
        app.MapGet("/app.js", () => Page("app.js"));
        app.MapGet("/style.css", () => Page("style.css"));
        app.MapGet("/api/state", () => Results.Json(session.State()));
        app.MapGet("/api/mhsm", () => Answer(session.MhsmState));
        app.MapPost("/api/open", (OpenRequest request) => Answer(() =>
        {
            var job = session.WithBackend(() => session.Backend.Open(request.Project));
            session.Log($"Opened job project {job.Project} (job {job.Job}, M-HSM {job.MHsmUuid}).");
            session.Publish(new { type = "job", job });
            return job;
        }));
        app.MapPost("/api/run", (RunRequest request) => Answer(() =>
        {
            if (request.Programmers is not { Count: > 0 })
                throw new SppsException(ErrorCodes.ProgrammerInvalid, "Choose at least one programmer.");
            session.StartRun(request.Action, request.Programmers);
            return new { started = true };
        }));
        app.MapPost("/api/stop", () => Results.Json(new { stopped = session.Stop() }));
        app.MapPost("/api/export", () => Answer(() =>
        {
            var path = session.WithBackend(session.Backend.ExportStatus);
            session.Log($"Exported the job status to {path}");
            session.Publish(new { type = "job", job = session.Backend.Job });
            return new { path };
        }));
        app.MapGet("/api/status-file", () => Answer(() =>
        {
            var path = session.WithBackend(session.Backend.ExportStatus);
            return Results.File(File.ReadAllBytes(path), "application/octet-stream", Path.GetFileName(path));
        }));
        app.MapPost("/api/complete", (CompleteRequest request) => Answer(() =>
        {
            var (path, lines) = session.WithBackend(() => session.Backend.Complete(request.Terminate));
            foreach (var line in lines) session.Log(line);
            session.Publish(new { type = "job", job = session.Backend.Job });
            return new { path, lines };
        }));
        app.MapGet("/api/events", async context =>
        {
            context.Response.Headers.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            var reader = session.Subscribe(out var unsubscribe);
            try
            {
                await context.Response.WriteAsync(": connected\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await foreach (var message in reader.ReadAllAsync(context.RequestAborted))
                {
                    await context.Response.WriteAsync($"data: {message}\n\n", context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            }
            catch (OperationCanceledException) { }
            finally { unsubscribe(); }
        });
        return app;
    }

    public sealed record OpenRequest(string Project);
    public sealed record RunRequest(string Action, List<string>? Programmers);
    public sealed record CompleteRequest(bool Terminate);

    private static IResult Answer<T>(Func<T> work)
    {
        try
        {
            var value = work();
            return value as IResult ?? Results.Json(value);
        }
        catch (SppsException e)
        {
            return Results.Json(new { error = new { code = e.Code, message = e.Message } }, statusCode: StatusCodes.Status409Conflict);
        }
    }

    private static IResult Page(string name)
    {
        using var stream = typeof(StationWebHost).Assembly.GetManifestResourceStream("wwwroot/" + name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var type = Path.GetExtension(name) switch { ".js" => "text/javascript", ".css" => "text/css", _ => "text/html" };
        return Results.Text(reader.ReadToEnd(), type + "; charset=utf-8");
    }

    private static bool Authorized(HttpContext context, string token)
    {
        if (context.Request.Query.TryGetValue("token", out var query) && Same(query.ToString(), token))
        {
            context.Response.Cookies.Append(CookieName, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
            return true;
        }
        if (context.Request.Cookies.TryGetValue(CookieName, out var cookie) && Same(cookie, token)) return true;
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) && Same(header["Bearer ".Length..], token);
    }

    private static bool Same(string given, string token) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
