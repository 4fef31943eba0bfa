using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json.Linq;
using Spps.Core.Crypto;
using Spps.Core.Formats;

namespace Spps.Core.Tests;

public sealed class SppsFileTests : IDisposable
{
    private const string Kind = "req";
    private readonly TempDir _dir = new();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
    private readonly byte[] _spki;

    public SppsFileTests() => _spki = _key.ExportSubjectPublicKeyInfo();

    public void Dispose()
    {
        _key.Dispose();
        _dir.Dispose();
    }

    private static Func<byte[], (string, byte[])> Signer(ECDsa key) => data =>
        (PublicKeys.Fingerprint(key.ExportSubjectPublicKeyInfo()),
         key.SignData(data, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

    private static JObject PayloadHeader(byte[] payload, JObject? extra = null)
    {
        var header = extra ?? new JObject { ["version"] = 1, ["job"] = "MyProgJob" };
        header["payload"] = new JObject { ["length"] = payload.Length, ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(payload)) };
        return header;
    }

    private string WriteSigned(string name, byte[]? payload = null, JObject? header = null)
    {
        var path = _dir.File(name);
        header ??= new JObject { ["version"] = 1, ["job"] = "MyProgJob", ["tickets"] = new JArray("a", "b") };
        if (payload is not null) header = PayloadHeader(payload, header);
        SppsFile.Write(path, Kind, header, Signer(_key), payload is null ? null : s => s.Write(payload));
        return path;
    }

    /// <summary>Everything a consumer does with a signed file: read, check the signer, check the payload.</summary>
    private SppsFile ReadVerified(string path)
    {
        var file = SppsFile.Read(path, Kind, signed: true);
        PublicKeys.VerifyFile(file, _spki, "U-HSM");
        file.VerifyPayload();
        return file;
    }

    private static readonly string[] RefusalCodes =
    [
        ErrorCodes.NotAnSppsFile, ErrorCodes.WrongFileKind, ErrorCodes.UnsupportedVersion, ErrorCodes.MalformedHeader,
        ErrorCodes.MalformedSignature, ErrorCodes.SignatureInvalid, ErrorCodes.UnexpectedSigner, ErrorCodes.PayloadTampered,
        ErrorCodes.TruncatedFile, ErrorCodes.InvalidField, ErrorCodes.MissingField,
    ];

    [Fact]
    public void Round_trip_keeps_kind_header_signer_and_payload()
    {
        var payload = RandomNumberGenerator.GetBytes(1000);
        var path = WriteSigned("a.req", payload);

        var file = ReadVerified(path);

        Assert.Equal(Kind, file.Kind);
        Assert.Equal("MyProgJob", (string?)file.Header["job"]);
        Assert.Equal(["a", "b"], file.Header["tickets"]!.Select(t => (string)t!));
        Assert.Equal(PublicKeys.Fingerprint(_spki), file.SignerFingerprint);
        Assert.Equal(payload.Length, file.PayloadLength);
        using var stream = file.OpenPayload();
        var read = new MemoryStream();
        stream.CopyTo(read);
        Assert.Equal(payload, read.ToArray());
    }

    [Fact]
    public void The_signed_head_alone_reads_with_the_same_digest_and_signature_and_nothing_may_follow_it()
    {
        var payload = RandomNumberGenerator.GetBytes(1000);
        var full = SppsFile.Read(WriteSigned("a.req", payload), Kind, signed: true);
        var headPath = _dir.File("a.head");
        File.WriteAllBytes(headPath, full.SignedHead());

        var head = SppsFile.Read(headPath, Kind, signed: true, headOnly: true);
        PublicKeys.VerifyFile(head, _spki, "U-HSM");
        Assert.Equal(full.Digest, head.Digest);
        Assert.Equal(full.PayloadSha256, head.PayloadSha256); // the head still pins the payload it travels without
        var ex = Assert.Throws<SppsException>(() => SppsFile.Read(headPath, Kind, signed: true)); // a whole file must have its payload
        Assert.Equal(ErrorCodes.TruncatedFile, ex.Code);

        File.WriteAllBytes(headPath, [.. full.SignedHead(), (byte)'x']);
        Assert.Equal(ErrorCodes.PayloadTampered, Assert.Throws<SppsException>(() => SppsFile.Read(headPath, Kind, signed: true, headOnly: true)).Code);
    }

    [Fact]
    public void Round_trip_without_payload_and_unsigned()
    {
        var path = _dir.File("u.jdc");
        SppsFile.Write(path, "jdc", new JObject { ["design"] = "hello_world" }, sign: null);

        var file = SppsFile.Read(path, "jdc", signed: false);

        Assert.Equal("hello_world", (string?)file.Header["design"]);
        Assert.Null(file.SignerFingerprint);
        Assert.Equal(0, file.PayloadLength);
        Assert.Equal(File.ReadAllBytes(path), file.SignedBytes);
    }

    [Fact]
    public void The_signature_covers_exactly_preamble_and_header()
    {
        byte[]? signedBytes = null;
        var path = _dir.File("s.req");
        var payload = new byte[] { 1, 2, 3 };
        SppsFile.Write(path, Kind, PayloadHeader(payload), data => { signedBytes = data; return Signer(_key)(data); }, s => s.Write(payload));

        var file = ReadVerified(path);

        Assert.Equal(signedBytes, file.SignedBytes);
        Assert.StartsWith($"SPPS/1 {Kind} ", Encoding.ASCII.GetString(signedBytes!));
    }

    [Theory]
    [InlineData(0x01)]
    [InlineData(0x80)]
    [InlineData(0x20)]
    [InlineData(0xFF)]
    public void Changing_any_single_byte_of_a_signed_file_is_refused(int xor)
    {
        var payload = Encoding.ASCII.GetBytes("payload bytes 0123456789");
        var path = WriteSigned("every.req", payload, new JObject { ["version"] = 1, ["n"] = 7 });
        var original = File.ReadAllBytes(path);
        ReadVerified(path); // the untouched file is accepted
        var accepted = new List<string>();

        for (var i = 0; i < original.Length; i++)
        {
            var copy = (byte[])original.Clone();
            copy[i] ^= (byte)xor;
            File.WriteAllBytes(path, copy);
            try
            {
                ReadVerified(path);
                accepted.Add($"byte {i} (0x{original[i]:X2} -> 0x{copy[i]:X2}) accepted");
            }
            catch (SppsException e)
            {
                if (!RefusalCodes.Contains(e.Code)) accepted.Add($"byte {i}: unexpected code {e.Code}");
            }
            catch (Exception e)
            {
                accepted.Add($"byte {i}: {e.GetType().Name} instead of SppsException: {e.Message}");
            }
        }

        Assert.Empty(accepted);
    }

    [Theory]
    [InlineData("preamble", "SPPS1002")]
    [InlineData("header", "SPPS4001")]
    [InlineData("fingerprint", "SPPS4002")]
    [InlineData("signature", "SPPS4001")]
    [InlineData("payload", "SPPS4012")]
    public void A_change_in_each_part_gives_the_part_s_error(string part, string code)
    {
        var payload = Encoding.ASCII.GetBytes("0123456789abcdef");
        var path = WriteSigned("part.req", payload);
        var bytes = File.ReadAllBytes(path);
        var text = Encoding.ASCII.GetString(bytes);
        var sigLine = text.IndexOf("\nSIG ES384 ", StringComparison.Ordinal) + 1;
        var at = part switch
        {
            "preamble" => 1,                                          // 'P' of SPPS
            "header" => text.IndexOf("MyProgJob", StringComparison.Ordinal) + 2,
            "fingerprint" => sigLine + "SIG ES384 ".Length + 5,
            "signature" => sigLine + "SIG ES384 ".Length + 96 + 1 + 10,
            _ => bytes.Length - 3,
        };
        // Swap for another character of the same class so only the meaning changes, not the syntax.
        bytes[at] = bytes[at] switch
        {
            >= (byte)'0' and <= (byte)'8' or >= (byte)'a' and <= (byte)'e' => (byte)(bytes[at] + 1),
            (byte)'9' => (byte)'a',
            (byte)'f' => (byte)'0',
            (byte)'A' => (byte)'B',
            _ => (byte)'A',
        };
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<SppsException>(() => ReadVerified(path));

        Assert.Equal(code, e.Code);
        Assert.Equal(path, e.Location?.File);
    }

    [Fact]
    public void Every_truncation_is_refused()
    {
        var payload = Encoding.ASCII.GetBytes("some payload");
        var path = WriteSigned("t.req", payload);
        var original = File.ReadAllBytes(path);
        var accepted = new List<int>();

        for (var length = 0; length < original.Length; length++)
        {
            File.WriteAllBytes(path, original.AsSpan(0, length).ToArray());
            try { ReadVerified(path); accepted.Add(length); }
            catch (SppsException e) { Assert.Contains(e.Code, RefusalCodes); }
        }

        Assert.Empty(accepted);
    }

    [Fact]
    public void Truncated_payload_says_truncated()
    {
        var payload = new byte[100];
        var path = WriteSigned("tp.req", payload);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);

        var e = Assert.Throws<SppsException>(() => SppsFile.Read(path, Kind, signed: true));

        Assert.Equal(ErrorCodes.TruncatedFile, e.Code);
    }

    [Theory]
    [InlineData(true, "\n")]
    [InlineData(true, "x")]
    [InlineData(false, "\n")]
    [InlineData(false, "SIG ES384 0000\n")]
    public void Appended_bytes_are_refused(bool withPayload, string appended)
    {
        var path = WriteSigned("ap.req", withPayload ? new byte[] { 9, 8, 7 } : null);
        File.AppendAllText(path, appended);

        var e = Assert.Throws<SppsException>(() => ReadVerified(path));

        Assert.Equal(ErrorCodes.PayloadTampered, e.Code);
    }

    [Fact]
    public void Wrong_kind_is_refused_on_line_1()
    {
        var path = WriteSigned("k.req");

        var e = Assert.Throws<SppsException>(() => SppsFile.Read(path, "rep", signed: true));

        Assert.Equal(ErrorCodes.WrongFileKind, e.Code);
        Assert.Equal(new SourceLocation(path, 1), e.Location);
        Assert.Contains("req", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello world\n")]
    [InlineData("SPPS/1 REQ 10\n")]
    [InlineData("{\"version\":1}\n")]
    public void Something_else_is_not_an_spps_file(string content)
    {
        var path = _dir.File("x.req");
        File.WriteAllText(path, content);

        var e = Assert.Throws<SppsException>(() => SppsFile.Read(path, Kind, signed: true));

        Assert.Equal(ErrorCodes.NotAnSppsFile, e.Code);
        Assert.Equal(1, e.Location?.Line);
    }

    [Fact]
    public void A_future_container_version_is_refused()
    {
        var path = _dir.File("v.req");
        File.WriteAllText(path, "SPPS/2 req 3\n{}\n");

        var e = Assert.Throws<SppsException>(() => SppsFile.Read(path, Kind, signed: false));

        Assert.Equal(ErrorCodes.UnsupportedVersion, e.Code);
    }

    [Fact]
    public void Missing_file_is_reported()
    {
        var e = Assert.Throws<SppsException>(() => SppsFile.Read(_dir.File("nope.req"), Kind, signed: true));
        Assert.Equal(ErrorCodes.FileNotFound, e.Code);
    }

    [Fact]
    public void Signed_by_another_key_is_an_unexpected_signer()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var path = _dir.File("o.req");
        SppsFile.Write(path, Kind, new JObject { ["a"] = 1 }, Signer(other));

        var file = SppsFile.Read(path, Kind, signed: true);
        var e = Assert.Throws<SppsException>(() => PublicKeys.VerifyFile(file, _spki, "U-HSM"));

        Assert.Equal(ErrorCodes.UnexpectedSigner, e.Code);
        Assert.Contains("U-HSM", e.Message);
    }

    [Fact]
    public void Claiming_the_expected_fingerprint_with_another_key_s_signature_is_invalid()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var path = _dir.File("f.req");
        SppsFile.Write(path, Kind, new JObject { ["a"] = 1 },
            data => (PublicKeys.Fingerprint(_spki), other.SignData(data, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)));

        var file = SppsFile.Read(path, Kind, signed: true);
        var e = Assert.Throws<SppsException>(() => PublicKeys.VerifyFile(file, _spki, "U-HSM"));

        Assert.Equal(ErrorCodes.SignatureInvalid, e.Code);
    }

    [Fact]
    public void A_signed_kind_read_without_its_signature_line_is_refused()
    {
        var path = _dir.File("n.req");
        SppsFile.Write(path, Kind, new JObject { ["a"] = 1 }, sign: null);

        var e = Assert.Throws<SppsException>(() => SppsFile.Read(path, Kind, signed: true));

        Assert.Equal(ErrorCodes.MalformedSignature, e.Code);
        Assert.Equal(5, e.Location?.Line); // preamble, "{", "  \"a\": 1", "}", then the signature line
    }

    // A header written by hand: line 1 is the preamble, the JSON starts on line 2.
    private string WriteRaw(string name, string headerJson, string rest = "")
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var path = _dir.File(name);
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes($"SPPS/1 {Kind} {header.Length}\n"), .. header, .. Encoding.ASCII.GetBytes(rest)]);
        return path;
    }

    [Theory]
    [InlineData("{\n  \"a\": 1,\n  \"b\": }\n  \"c\": 3\n}\n", 4)]
    [InlineData("{\n  \"a\": 1\n  \"b\": 2\n}\n", 4)]
    [InlineData("{\n  \"a\": 1,\n  \"a\": 2\n}\n", 4)]
    [InlineData("{\n\n\n\n  \"a\": tru\n}\n", 6)]
    [InlineData("{\"a\": 1}\n{\"b\": 2}\n", 3)]
    public void Json_syntax_error_points_at_the_file_line(string headerJson, int line)
    {
        var path = WriteRaw("j.req", headerJson);

        var e = Assert.Throws<SppsException>(() => SppsFile.Read(path, Kind, signed: false));

        Assert.Equal(ErrorCodes.MalformedHeader, e.Code);
        Assert.Equal(path, e.Location?.File);
        Assert.Equal(line, e.Location?.Line);
        Assert.StartsWith($"{path}:{line}", e.ToString());
    }

    [Fact]
    public void Header_not_ending_in_newline_where_the_preamble_says_is_refused()
    {
        var path = _dir.File("h.req");
        File.WriteAllText(path, "SPPS/1 req 5\n{}   \n");

        var e = Assert.Throws<SppsException>(() => SppsFile.Read(path, Kind, signed: false));

        Assert.Equal(ErrorCodes.MalformedHeader, e.Code);
        Assert.Equal(2, e.Location?.Line);
    }

    [Fact]
    public void Field_errors_point_at_the_field_s_line()
    {
        var path = WriteRaw("fe.req", "{\n  \"version\": 1,\n  \"payload\": {\n    \"length\": \"ten\",\n    \"sha256\": \"00\"\n  }\n}\n");

        var e = Assert.Throws<SppsException>(() => SppsFile.Read(path, Kind, signed: false));

        Assert.Equal(ErrorCodes.InvalidField, e.Code);
        Assert.Equal(5, e.Location?.Line);
    }

    [Fact]
    public void A_huge_payload_length_is_an_invalid_field_not_a_crash()
    {
        var path = WriteRaw("big.req", "{\n  \"payload\": {\n    \"length\": 123456789012345678901234567890,\n    \"sha256\": \"" + new string('0', 64) + "\"\n  }\n}\n");

        var e = Assert.Throws<SppsException>(() => SppsFile.Read(path, Kind, signed: false));

        Assert.Equal(ErrorCodes.InvalidField, e.Code);
        Assert.Equal(4, e.Location?.Line);
    }

    [Fact]
    public void Signature_line_must_be_canonical()
    {
        var path = WriteSigned("c.req");
        var text = File.ReadAllText(path);
        File.WriteAllText(path, text.Replace("SIG ES384 ", "SIG  ES384 "));

        var e = Assert.Throws<SppsException>(() => SppsFile.Read(path, Kind, signed: true));

        Assert.Equal(ErrorCodes.MalformedSignature, e.Code);
    }

    [Fact]
    public void Write_is_atomic_when_the_payload_writer_fails()
    {
        var path = WriteSigned("w.req", new byte[] { 1 });
        var before = File.ReadAllBytes(path);

        Assert.Throws<InvalidOperationException>(() =>
            SppsFile.Write(path, Kind, new JObject { ["a"] = 2 }, Signer(_key), _ => throw new InvalidOperationException("disk on fire")));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["w.req"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }
}
