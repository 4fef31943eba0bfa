using System.Collections.Concurrent;
using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Spps.Contracts.Hsm;
using Xunit;

namespace Spps.Hsm.Conformance.Tests;

/// <summary>What only the PKCS#11 plugin promises: the token's key attributes, clear errors, URIs, concurrency.</summary>
[Collection(SoftHsmTokens.Name)]
public sealed class Pkcs11PluginTests : IDisposable
{
    private readonly List<IHsm> _opened = [];
    private readonly string _prefix = "p" + Guid.NewGuid().ToString("N")[..10] + "-";
    private static SoftHsmEnvironment Env => SoftHsmEnvironment.Instance;

    public void Dispose()
    {
        foreach (var hsm in _opened) hsm.Dispose();
    }

    private static IHsmProvider Provider => Plugins.Catalog.HsmProvider("pkcs11");

    private IHsm Open(string locator, Func<string, string?>? environment = null)
    {
        var hsm = Provider.Open(Options(locator, environment));
        _opened.Add(hsm);
        return hsm;
    }

    private static HsmOpenOptions Options(string locator, Func<string, string?>? environment = null) =>
        new(locator, null, Env.Directory, CreateIfMissing: true, environment ?? (_ => null), _ => { });

    private static HsmException OpenFails(string locator, Func<string, string?>? environment = null) =>
        Assert.Throws<HsmException>(() => Provider.Open(Options(locator, environment)).Dispose());

    private KeySpec Aes(string name, KeyUsage usage, bool persistent = false, bool wrappable = false) =>
        new(_prefix + name, KeyKind.Aes256, usage, persistent, wrappable);

    [Fact]
    public void Keys_created_every_way_are_sensitive_and_unextractable_on_the_token_unless_declared_wrappable()
    {
        var hsm = Open($"pkcs11:token={SoftHsmEnvironment.InspectToken}?module-path={Env.ModulePath}",
            name => name == "SPPS_PKCS11_PIN" ? SoftHsmEnvironment.UserPin : null);
        var kek = hsm.Generate(Aes("kek", KeyUsage.Wrap | KeyUsage.Unwrap, persistent: true));
        hsm.Generate(Aes("wrappable", KeyUsage.Mac, persistent: true, wrappable: true));
        var pair = hsm.Generate(new KeySpec(_prefix + "pair", KeyKind.EcP384, KeyUsage.Sign | KeyUsage.Derive, Persistent: true));
        using var dataKey = hsm.GenerateDataKey(kek);
        var unwrapped = hsm.Unwrap(kek, dataKey.Wrapped, Aes("unwrapped", KeyUsage.Derive, persistent: true));
        using var peer = Reference.NewPeer();
        hsm.Derive(new EcdhHkdf([new EcdhAgreement(pair, peer.ExportSubjectPublicKeyInfo())], [1], [2]), Aes("ecdh", KeyUsage.Mac, persistent: true));
        hsm.Derive(new KeyHkdf(unwrapped, [3], [4]), Aes("hkdf", KeyUsage.Mac, persistent: true));

        using var auditor = TokenInspector.Open(SoftHsmEnvironment.InspectToken, CKU.CKU_USER, SoftHsmEnvironment.UserPin);
        var attributes = TokenInspector.Factories.ObjectAttributeFactory;
        var keys = new[] { CKO.CKO_SECRET_KEY, CKO.CKO_PRIVATE_KEY }
            .SelectMany(c => auditor.FindAllObjects([attributes.Create(CKA.CKA_CLASS, c), attributes.Create(CKA.CKA_TOKEN, true)]))
            .Select(h => (Handle: h, Values: auditor.GetAttributeValue(h, [CKA.CKA_LABEL, CKA.CKA_SENSITIVE, CKA.CKA_EXTRACTABLE, CKA.CKA_VALUE])))
            .Where(k => k.Values[0].GetValueAsString().StartsWith(_prefix, StringComparison.Ordinal))
            .ToList();

        Assert.Equal(
            new[] { "ecdh", "hkdf", "kek", "pair", "unwrapped", "wrappable" },
            keys.Select(k => k.Values[0].GetValueAsString()[_prefix.Length..]).Order().ToArray());
        foreach (var (_, values) in keys)
        {
            var name = values[0].GetValueAsString()[_prefix.Length..];
            Assert.True(values[1].GetValueAsBool(), $"{name}: CKA_SENSITIVE");
            Assert.Equal(name == "wrappable", values[2].GetValueAsBool());
            Assert.True(values[3].CannotBeRead, $"{name}: CKA_VALUE was readable");
        }
    }

    [Fact]
    public void Pkcs11_tool_cannot_read_a_key_value_but_sees_the_key()
    {
        var hsm = Open(Env.Uri(SoftHsmEnvironment.InspectToken));
        var key = hsm.Generate(Aes("visible", KeyUsage.Mac, persistent: true));
        string[] common = ["--module", Env.ModulePath, "--token-label", SoftHsmEnvironment.InspectToken, "--login", "--pin", SoftHsmEnvironment.UserPin];

        var (listed, listing) = SoftHsmEnvironment.Run("pkcs11-tool", [.. common, "--list-objects", "--type", "secrkey"]);
        var (read, readOutput) = SoftHsmEnvironment.Run("pkcs11-tool", [.. common, "--read-object", "--type", "secrkey", "--label", key.Label]);

        Assert.Equal(0, listed);
        Assert.Contains(key.Label, listing);
        Assert.NotEqual(0, read);
        Assert.DoesNotContain("error: object not found", readOutput, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_wrong_pin_is_reported_as_such_without_the_pin()
    {
        var wrongPinFile = Path.Combine(Env.Directory, "wrong.pin");
        File.WriteAllText(wrongPinFile, "not-the-pin-93817");
        var error = OpenFails($"pkcs11:token={SoftHsmEnvironment.PinToken}?module-path={Env.ModulePath}&pin-source=file:{wrongPinFile}");

        Assert.Equal("SPPS3106", error.Code);
        Assert.Contains("Wrong PIN", error.Message);
        Assert.DoesNotContain("93817", error.ToString());

        using var right = Provider.Open(Options(Env.Uri(SoftHsmEnvironment.PinToken)));
        Assert.Equal(SoftHsmEnvironment.PinToken, right.Info.Name);
    }

    [Fact]
    public void A_missing_pin_source_is_reported()
    {
        Assert.Equal("SPPS3102", OpenFails($"pkcs11:token={SoftHsmEnvironment.MainToken}?module-path={Env.ModulePath}").Code);
        Assert.Equal("SPPS3102", OpenFails($"pkcs11:token={SoftHsmEnvironment.MainToken}?module-path={Env.ModulePath}&pin-source=file:{Env.Directory}/absent.pin").Code);
    }

    [Fact]
    public void A_missing_module_is_reported_with_what_to_install()
    {
        var error = OpenFails($"pkcs11:token=x?module-path=/nonexistent/libsofthsm2.so&pin-source=file:{Env.PinFile}");
        Assert.Equal("SPPS3103", error.Code);
        Assert.Contains("/nonexistent/libsofthsm2.so", error.Message);
        Assert.Contains("apt-get install softhsm2", error.Message);

        Assert.Equal("SPPS3103", OpenFails($"pkcs11:token=x?module-path={Env.PinFile}&pin-source=file:{Env.PinFile}").Code);
    }

    [Fact]
    public void A_missing_token_is_reported_with_the_tokens_present()
    {
        var error = OpenFails(Env.Uri("no-such-token"));
        Assert.Equal("SPPS3104", error.Code);
        Assert.Contains(SoftHsmEnvironment.MainToken, error.Message);
    }

    [Fact]
    public void A_profile_needing_mechanisms_the_token_lacks_is_refused_naming_them()
    {
        var error = OpenFails(Env.Uri(SoftHsmEnvironment.MainToken, "&profile=pkcs11v3"));
        Assert.Equal("SPPS3108", error.Code);
        Assert.Contains("CKM_HKDF_DERIVE", error.Message);
        Assert.Contains("CKM_AES_KEY_WRAP_KWP", error.Message);

        Assert.Equal("SPPS3109", OpenFails(Env.Uri(SoftHsmEnvironment.MainToken, "&profile=luna-9")).Code);
    }

    [Fact]
    public void A_profile_whose_wrap_is_not_rfc5649_on_this_token_is_refused_at_open()
    {
        // generic-kw passes RFC 5649's IV to CKM_AES_KEY_WRAP; SoftHSM2 accepts no IV parameter.
        var error = OpenFails(Env.Uri(SoftHsmEnvironment.MainToken, "&profile=generic-kw"));
        Assert.Equal("SPPS3110", error.Code);
    }

    [Theory]
    [InlineData("pkcs11:token=a?module-path=/m.so&pin-value=secret-4711", "SPPS3101")]
    [InlineData("pkcs11:token=a;object=key?module-path=/m.so", "SPPS3101")]
    [InlineData("pkcs11:token=a;colour=red?module-path=/m.so", "SPPS3101")]
    [InlineData("pkcs11:token=a?module-path=/m.so&token=b", "SPPS3101")]
    [InlineData("pkcs11:token=a;token=b?module-path=/m.so", "SPPS3100")]
    [InlineData("pkcs11:token=a%2?module-path=/m.so", "SPPS3100")]
    [InlineData("pkcs11:token=a b?module-path=/m.so", "SPPS3100")]
    [InlineData("pkcs11:token=a", "SPPS3100")]
    [InlineData("pkcs11:token=a?module-path=relative.so", "SPPS3100")]
    [InlineData("pkcs11:slot-id=x?module-path=/m.so", "SPPS3100")]
    [InlineData("pkcs11:token=a?module-path=/m.so&pin-source=env:PIN", "SPPS3101")]
    [InlineData("pkcs11:token=a?module-path=/m.so&max-sessions=0", "SPPS3100")]
    public void Malformed_uris_are_refused_with_a_code_and_never_echo_a_pin(string locator, string code)
    {
        var error = OpenFails(locator);
        Assert.Equal(code, error.Code);
        Assert.DoesNotContain("secret-4711", error.ToString());
    }

    [Fact]
    public void Uri_values_are_percent_decoded_and_only_pkcs11_uris_are_claimed()
    {
        var hsm = Open($"pkcs11:token=spps%2Dmain?module-path={Env.ModulePath}&pin-source=file:{Env.PinFile}");
        Assert.Equal(SoftHsmEnvironment.MainToken, hsm.Info.Name);
        Assert.Equal("pkcs11", hsm.Info.Kind);
        Assert.True(hsm.Info.IsDevelopmentOnly);
        Assert.True(Provider.CanOpen(Env.Uri(SoftHsmEnvironment.MainToken)));
        Assert.False(Provider.CanOpen("conformance"));
    }

    [Fact]
    public void Sixteen_threads_deriving_wrapping_and_macing_at_once_all_get_correct_results()
    {
        var hsm = Open(Env.Uri(SoftHsmEnvironment.MainToken));
        var transport = hsm.Generate(new KeySpec(_prefix + "transport", KeyKind.EcP384, KeyUsage.Derive, Persistent: false));
        var transportPublic = hsm.GetPublicKey(transport);
        const int threads = 16, rounds = 6;
        var failures = new ConcurrentQueue<string>();
        var start = new Barrier(threads);

        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var round = 0; round < rounds; round++)
            {
                try
                {
                    using var peer = Reference.NewPeer();
                    var salt = RandomNumberGenerator.GetBytes(32);
                    var info = System.Text.Encoding.ASCII.GetBytes($"thread {t} round {round}");
                    var k = hsm.Derive(new EcdhHkdf([new EcdhAgreement(transport, peer.ExportSubjectPublicKeyInfo())], salt, info),
                        Aes($"k-{t}-{round}", KeyUsage.Wrap | KeyUsage.Unwrap | KeyUsage.Mac));
                    var expected = Reference.Hkdf(Reference.SharedSecret(peer, transportPublic), salt, info);
                    var message = Reference.Message();
                    using var dataKey = hsm.GenerateDataKey(k);
                    var inside = hsm.Unwrap(k, dataKey.Wrapped, Aes($"d-{t}-{round}", KeyUsage.Mac));
                    if (!hsm.Mac(k, message).SequenceEqual(Reference.Cmac(expected, message))) failures.Enqueue($"{t}/{round}: derived key differs");
                    if (!Reference.Unwrap(expected, dataKey.Wrapped).SequenceEqual(dataKey.Plaintext)) failures.Enqueue($"{t}/{round}: wrap differs");
                    if (!hsm.Mac(inside, message).SequenceEqual(Reference.Cmac(dataKey.Plaintext, message))) failures.Enqueue($"{t}/{round}: unwrapped key differs");
                    hsm.Destroy(inside);
                    hsm.Destroy(k);
                }
                catch (Exception e)
                {
                    failures.Enqueue($"{t}/{round}: {e.GetType().Name}: {e.Message}");
                }
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        Assert.Empty(failures);
    }

    [Fact]
    public void With_wrap_with_trusted_only_a_key_the_security_officer_trusted_may_wrap()
    {
        // The security officer provisions a wrapping key and marks it CKA_TRUSTED; SoftHSM2 lets only the SO do that.
        var trustedLabel = _prefix + "so-trusted-kek";
        var trustedBytes = RandomNumberGenerator.GetBytes(32);
        var attributes = TokenInspector.Factories.ObjectAttributeFactory;
        using (var officer = TokenInspector.Open(SoftHsmEnvironment.TrustedToken, CKU.CKU_SO, SoftHsmEnvironment.SecurityOfficerPin))
        {
            officer.CreateObject(
            [
                attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
                attributes.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
                attributes.Create(CKA.CKA_TOKEN, true),
                attributes.Create(CKA.CKA_PRIVATE, false),
                attributes.Create(CKA.CKA_SENSITIVE, true),
                attributes.Create(CKA.CKA_EXTRACTABLE, false),
                attributes.Create(CKA.CKA_WRAP, true),
                attributes.Create(CKA.CKA_TRUSTED, true),
                attributes.Create(CKA.CKA_LABEL, trustedLabel),
                attributes.Create(CKA.CKA_VALUE, trustedBytes),
            ]);
            officer.Logout();
        }

        var hsm = Open(Env.Uri(SoftHsmEnvironment.TrustedToken, "&wrap-with-trusted=yes"));
        var kip = hsm.Generate(Aes("kip", KeyUsage.Mac, wrappable: true));
        var untrusted = hsm.Generate(Aes("untrusted", KeyUsage.Wrap));

        Assert.Equal("SPPS3129", Assert.Throws<HsmException>(() => hsm.Wrap(untrusted, kip)).Code);

        var trusted = hsm.FindKey(trustedLabel);
        Assert.NotNull(trusted);
        var wrapped = hsm.Wrap(trusted, kip);
        var message = Reference.Message();
        Assert.Equal(hsm.Mac(kip, message), Reference.Cmac(Reference.Unwrap(trustedBytes, wrapped), message));
    }

    [Fact]
    public void Rfc3394_with_the_rfc5649_alternative_iv_equals_rfc5649_for_aes256_keys()
    {
        // The premise of profile generic-kw: CKM_AES_KEY_WRAP with IV A65959A6 00000020 yields RFC 5649 bytes.
        var kek = RandomNumberGenerator.GetBytes(32);
        var key = RandomNumberGenerator.GetBytes(32);
        var engine = new Org.BouncyCastle.Crypto.Engines.Rfc3394WrapEngine(new Org.BouncyCastle.Crypto.Engines.AesEngine());
        engine.Init(true, new Org.BouncyCastle.Crypto.Parameters.ParametersWithIV(
            new Org.BouncyCastle.Crypto.Parameters.KeyParameter(kek), [0xA6, 0x59, 0x59, 0xA6, 0x00, 0x00, 0x00, 0x20]));
        using var aes = System.Security.Cryptography.Aes.Create();
        aes.Key = kek;
        Assert.Equal(aes.EncryptKeyWrapPadded(key), engine.Wrap(key, 0, key.Length));
    }

    [Fact]
    public void The_user_cannot_mark_a_key_trusted()
    {
        var attributes = TokenInspector.Factories.ObjectAttributeFactory;
        using var user = TokenInspector.Open(SoftHsmEnvironment.InspectToken, CKU.CKU_USER, SoftHsmEnvironment.UserPin);
        var error = Assert.Throws<Pkcs11Exception>(() => user.GenerateKey(TokenInspector.Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN),
        [
            attributes.Create(CKA.CKA_TOKEN, false),
            attributes.Create(CKA.CKA_VALUE_LEN, 32UL),
            attributes.Create(CKA.CKA_WRAP, true),
            attributes.Create(CKA.CKA_TRUSTED, true),
        ]));
        Assert.Equal(CKR.CKR_ATTRIBUTE_READ_ONLY, error.RV);
    }
}
