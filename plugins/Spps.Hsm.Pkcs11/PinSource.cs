using System.Text;
using Spps.Contracts.Hsm;

namespace Spps.Hsm.Pkcs11;

/// <summary>
/// Reads the user PIN from <c>pin-source=file:...</c> or, without one, from <c>SPPS_PKCS11_PIN</c>
/// (through <see cref="HsmOpenOptions.Environment"/>). The PIN is returned as bytes for the caller to zero
/// and never appears in a message.
/// </summary>
internal static class PinSource
{
    public const string PinVariable = "SPPS_PKCS11_PIN";

    public static byte[] Read(Pkcs11Uri uri, Func<string, string?> environment)
    {
        if (uri.PinSource is { } source)
        {
            var path = FilePath(source);
            byte[] content;
            try { content = File.ReadAllBytes(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new HsmException(Pkcs11ErrorCodes.PinUnavailable,
                    $"Cannot read the PIN file named by pin-source ({path}): {e.GetType().Name}. Check that it exists and that this user may read it.");
            }
            var length = content.Length;
            while (length > 0 && content[length - 1] is (byte)'\n' or (byte)'\r') length--;
            var pin = content[..length];
            Array.Clear(content);
            if (pin.Length == 0)
                throw new HsmException(Pkcs11ErrorCodes.PinUnavailable, $"The PIN file {path} is empty.");
            return pin;
        }
        var value = environment(PinVariable);
        if (string.IsNullOrEmpty(value))
            throw new HsmException(Pkcs11ErrorCodes.PinUnavailable,
                $"No PIN for the PKCS#11 token: add pin-source=file:/path/to/pin-file to the URI, or set {PinVariable}.");
        return Encoding.UTF8.GetBytes(value);
    }

    private static string FilePath(string source)
    {
        // RFC 8089 file URIs: file:/abs/path, file:///abs/path, or file://localhost/abs/path.
        var rest = source["file:".Length..];
        if (rest.StartsWith("//localhost/", StringComparison.Ordinal)) rest = rest["//localhost".Length..];
        else if (rest.StartsWith("///", StringComparison.Ordinal)) rest = rest[2..];
        else if (rest.StartsWith("//", StringComparison.Ordinal))
            throw new HsmException(Pkcs11ErrorCodes.UriAttributeRefused, "pin-source must name a local file (file:/path or file:///path), not a remote host.");
        if (!Path.IsPathFullyQualified(rest))
            throw new HsmException(Pkcs11ErrorCodes.UriAttributeRefused, $"pin-source file '{rest}' is not an absolute path.");
        return rest;
    }
}
