using Spps.Core;

namespace Spps.Station.Web;

/// <summary>The UI token from a file (first line, trimmed). Secrets come from files or the environment only.</summary>
public static class TokenFile
{
    public static string Read(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SppsException(ErrorCodes.FileNotFound, $"Cannot read the UI token file {path}: {e.Message}");
        }
        var token = text.Split('\n')[0].Trim();
        if (token.Length < 16)
            throw new SppsException(ErrorCodes.UiTokenRequired, $"The token in {path} is shorter than 16 characters: write a long random one, e.g. openssl rand -hex 32 > {path}");
        return token;
    }
}
