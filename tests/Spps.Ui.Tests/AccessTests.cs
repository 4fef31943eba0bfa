using System.Net;

namespace Spps.Ui.Tests;

/// <summary>Who may operate a station's UI: this machine by default, anyone else only with the token.</summary>
public sealed class AccessTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("spps-ui-access-").FullName;

    [Fact]
    public void Listening_beyond_this_machine_without_a_token_is_refused_with_a_code()
    {
        var (code, output) = Tool.Station.Run(_root, Path.Combine(_root, "home"), "ui", "--listen", "http://0.0.0.0:0");
        Assert.Equal(1, code);
        Assert.Contains("error SPPS2016: http://0.0.0.0:0 is reachable from other machines: set SPPS_UI_TOKEN or pass --token-file FILE", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public void With_a_token_only_its_holders_are_answered_and_posts_need_the_ui_header()
    {
        var token = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var tokenFile = Path.Combine(_root, "ui.token");
        File.WriteAllText(tokenFile, token + "\n");
        using var server = new UiServer(_root, Path.Combine(_root, "home"), "--token-file", tokenFile);
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false });

        Assert.Equal(HttpStatusCode.Unauthorized, Send(http, HttpMethod.Get, "/api/state").StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, Send(http, HttpMethod.Get, "/api/state", bearer: "wrong" + token).StatusCode);
        Assert.Equal(HttpStatusCode.OK, Send(http, HttpMethod.Get, "/api/state", bearer: token).StatusCode);
        var login = Send(http, HttpMethod.Get, "/?token=" + token);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

        Assert.Equal(HttpStatusCode.Forbidden, Send(http, HttpMethod.Post, "/api/stop", bearer: token).StatusCode);
        Assert.Equal(HttpStatusCode.OK, Send(http, HttpMethod.Post, "/api/stop", bearer: token, uiHeader: true).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, Send(http, HttpMethod.Get, "/api/state", bearer: token, host: "attacker.example").StatusCode);

        HttpResponseMessage Send(HttpClient client, HttpMethod method, string path, string? bearer = null, bool uiHeader = false, string? host = null)
        {
            using var request = new HttpRequestMessage(method, server.Url + path);
            if (bearer is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
            if (uiHeader) request.Headers.Add("X-Spps-Ui", "1");
            if (host is not null) request.Headers.Host = host;
            return client.Send(request);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }
}
