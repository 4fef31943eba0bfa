using System.Security.Cryptography;
using Spps.Contracts.Hsm;
using Xunit;

namespace Spps.Hsm.Conformance.Tests;

/// <summary>
/// What every HSM plugin must do, checked against independent reference computations. Subclasses only say how
/// to open their HSM and which error codes it uses.
/// </summary>
public abstract class HsmConformanceTests : IDisposable
{
    private readonly List<IHsm> _opened = [];
    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N")[..10] + "-";

    protected abstract string PluginName { get; }

    /// <summary>The locator and environment of the HSM instance this class tests (the same for every open).</summary>
    protected abstract HsmOpenOptions Options(string? uuid, bool createIfMissing);

    /// <summary>The plugin's code for a failure every plugin must report.</summary>
    protected abstract string Code(Failure failure);

    public enum Failure { WrongUsage, WrongKind, NotWrappable, WrappedKeyRejected, Destroyed, IdentityMismatch, LabelExists, ForeignHandle }

    protected IHsm Open(string? uuid = SoftHsmEnvironment.MainUuid, bool createIfMissing = true)
    {
        var hsm = Plugins.Catalog.HsmProvider(PluginName).Open(Options(uuid, createIfMissing));
        _opened.Add(hsm);
        return hsm;
    }

    protected string Label(string name) => _prefix + name;

    protected KeySpec Aes(string name, KeyUsage usage, bool persistent = false, bool wrappable = false) =>
        new(Label(name), KeyKind.Aes256, usage, persistent, wrappable);

    protected KeySpec Ec(string name, KeyUsage usage, bool persistent = false) =>
        new(Label(name), KeyKind.EcP384, usage, persistent);

    public void Dispose()
    {
        foreach (var hsm in _opened) hsm.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Identity_is_the_requested_uuid_in_normal_form_and_survives_reopening()
    {
        var hsm = Open();
        Assert.Equal("c0ffee0123456789abcdef", hsm.Info.Uuid);
        Assert.Equal(PluginName, hsm.Info.Kind);

        var again = Open(uuid: "0000C0FFEE0123456789ABCDEF");
        Assert.Equal(hsm.Info.Uuid, again.Info.Uuid);
        Assert.Equal(hsm.Info.Uuid, Open(uuid: null).Info.Uuid);

        var error = Assert.Throws<HsmException>(() => Open(uuid: "deadbeef"));
        Assert.Equal(Code(Failure.IdentityMismatch), error.Code);
    }

    [Fact]
    public void A_data_key_unwrapped_into_the_hsm_macs_like_its_plaintext()
    {
        var hsm = Open();
        var kek = hsm.Generate(Aes("kek", KeyUsage.Wrap | KeyUsage.Unwrap));
        using var dataKey = hsm.GenerateDataKey(kek);
        Assert.Equal(32, dataKey.Plaintext.Length);

        var inside = hsm.Unwrap(kek, dataKey.Wrapped, Aes("data", KeyUsage.Mac));
        var message = Reference.Message();
        var tag = hsm.Mac(inside, message);

        Assert.Equal(16, tag.Length);
        Assert.Equal(Reference.Cmac(dataKey.Plaintext, message), tag);
    }

    [Fact]
    public void Ecdh_hkdf_with_one_agreement_gives_the_key_the_peer_computes()
    {
        var hsm = Open();
        var ours = hsm.Generate(Ec("ecdh", KeyUsage.Derive));
        using var peer = Reference.NewPeer();
        var salt = RandomNumberGenerator.GetBytes(32);
        var info = "spps ticket transport"u8.ToArray();

        var derived = hsm.Derive(new EcdhHkdf([new EcdhAgreement(ours, peer.ExportSubjectPublicKeyInfo())], salt, info), Aes("k", KeyUsage.Mac));

        var expected = Reference.Hkdf(Reference.SharedSecret(peer, hsm.GetPublicKey(ours)), salt, info);
        var message = Reference.Message();
        Assert.Equal(Reference.Cmac(expected, message), hsm.Mac(derived, message));
    }

    [Fact]
    public void Ecdh_hkdf_with_two_agreements_concatenates_the_secrets_in_order()
    {
        var hsm = Open();
        var first = hsm.Generate(Ec("eph1", KeyUsage.Derive));
        var second = hsm.Generate(Ec("eph2", KeyUsage.Derive));
        using var deviceStatic = Reference.NewPeer();
        using var deviceEphemeral = Reference.NewPeer();
        var salt = RandomNumberGenerator.GetBytes(16);
        var info = "KFPE"u8.ToArray();

        var derived = hsm.Derive(new EcdhHkdf(
        [
            new EcdhAgreement(first, deviceStatic.ExportSubjectPublicKeyInfo()),
            new EcdhAgreement(second, deviceEphemeral.ExportSubjectPublicKeyInfo()),
        ], salt, info), Aes("kdev", KeyUsage.Mac));

        var ikm = Reference.SharedSecret(deviceStatic, hsm.GetPublicKey(first))
            .Concat(Reference.SharedSecret(deviceEphemeral, hsm.GetPublicKey(second))).ToArray();
        var message = Reference.Message();
        Assert.Equal(Reference.Cmac(Reference.Hkdf(ikm, salt, info), message), hsm.Mac(derived, message));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(48)]
    [InlineData(200)]
    public void Key_hkdf_from_a_base_key_matches_the_reference(int saltLength)
    {
        var hsm = Open();
        var kek = hsm.Generate(Aes("kek", KeyUsage.Wrap | KeyUsage.Unwrap));
        using var baseKey = hsm.GenerateDataKey(kek);
        var inside = hsm.Unwrap(kek, baseKey.Wrapped, Aes("base", KeyUsage.Derive));
        var salt = RandomNumberGenerator.GetBytes(saltLength);
        var info = "DSN 0123456789"u8.ToArray();

        var derived = hsm.Derive(new KeyHkdf(inside, salt, info), Aes("diversified", KeyUsage.Mac));

        var message = Reference.Message();
        Assert.Equal(Reference.Cmac(Reference.Hkdf(baseKey.Plaintext, salt, info), message), hsm.Mac(derived, message));
    }

    [Fact]
    public void Wrap_produces_rfc5649_that_unwraps_outside_and_inside_to_the_same_key()
    {
        var hsm = Open();
        var (transport, transportBytes) = DeriveKnownKey(hsm, KeyUsage.Wrap | KeyUsage.Unwrap);
        var key = hsm.Generate(Aes("kip", KeyUsage.Mac, wrappable: true));
        var message = Reference.Message();
        var tag = hsm.Mac(key, message);

        var wrapped = hsm.Wrap(transport, key);

        Assert.Equal(40, wrapped.Length);
        Assert.Equal(tag, Reference.Cmac(Reference.Unwrap(transportBytes, wrapped), message));
        var back = hsm.Unwrap(transport, wrapped, Aes("kip-again", KeyUsage.Mac));
        Assert.Equal(tag, hsm.Mac(back, message));
    }

    [Fact]
    public void Data_keys_are_wrapped_with_rfc5649_under_the_named_key()
    {
        var hsm = Open();
        var (kek, kekBytes) = DeriveKnownKey(hsm, KeyUsage.Wrap);
        using var dataKey = hsm.GenerateDataKey(kek);
        Assert.Equal(dataKey.Plaintext, Reference.Unwrap(kekBytes, dataKey.Wrapped));
    }

    [Fact]
    public void Signatures_are_p384_sha384_r_s_and_verify_with_the_exported_public_key()
    {
        var hsm = Open();
        var key = hsm.Generate(Ec("identity", KeyUsage.Sign));
        var message = Reference.Message(1000);

        var signature = hsm.Sign(key, message);

        Assert.Equal(96, signature.Length);
        using var verifier = ECDsa.Create();
        verifier.ImportSubjectPublicKeyInfo(hsm.GetPublicKey(key), out _);
        Assert.Equal(384, verifier.KeySize);
        Assert.True(verifier.VerifyData(message, signature, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        message[0] ^= 1;
        Assert.False(verifier.VerifyData(message, signature, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void A_destroyed_key_can_no_longer_be_used_or_found()
    {
        var hsm = Open();
        var session = hsm.Generate(Aes("gone", KeyUsage.Mac));
        var persistent = hsm.Generate(Aes("gone-too", KeyUsage.Mac, persistent: true));
        hsm.Mac(session, [1, 2, 3]);

        hsm.Destroy(session);
        hsm.Destroy(persistent);

        Assert.Equal(Code(Failure.Destroyed), Assert.Throws<HsmException>(() => hsm.Mac(session, [1, 2, 3])).Code);
        Assert.Equal(Code(Failure.Destroyed), Assert.Throws<HsmException>(() => hsm.Mac(persistent, [1, 2, 3])).Code);
        Assert.Null(hsm.FindKey(persistent.Label));
        Assert.Null(Open().FindKey(persistent.Label));
    }

    /// <summary>
    /// Stations each open the M-HSM: a count marker one of them destroys must not be found by another that saw
    /// it earlier (FindKeyNow, what the count check uses), or a rolled-back ledger would match a marker that no
    /// longer exists.
    /// </summary>
    [Fact]
    public void A_persistent_key_destroyed_through_another_instance_is_no_longer_found()
    {
        var mover = Open();
        var watcher = Open();
        var marker = mover.Generate(Aes("marker", KeyUsage.Mac, persistent: true));
        Assert.NotNull(watcher.FindKey(marker.Label)); // the watcher has now seen it (and cached it)
        Assert.NotNull(watcher.FindKeyNow(marker.Label));

        mover.Destroy(marker);

        Assert.Null(watcher.FindKeyNow(marker.Label));
        Assert.Null(watcher.FindKeyNow(marker.Label));
        Assert.Null(watcher.FindKey(marker.Label)); // and the stale handle is gone from its cache
    }

    [Fact]
    public void Persistent_keys_are_found_again_after_reopening_and_session_keys_are_not()
    {
        var message = Reference.Message();
        byte[] tag, publicKey;
        string macLabel, pairLabel, sessionLabel;
        using (var first = Plugins.Catalog.HsmProvider(PluginName).Open(Options(SoftHsmEnvironment.MainUuid, true)))
        {
            var mac = first.Generate(Aes("mac", KeyUsage.Mac, persistent: true));
            var pair = first.Generate(Ec("pair", KeyUsage.Sign | KeyUsage.Derive, persistent: true));
            var session = first.Generate(Aes("session", KeyUsage.Mac));
            (macLabel, pairLabel, sessionLabel) = (mac.Label, pair.Label, session.Label);
            tag = first.Mac(mac, message);
            publicKey = first.GetPublicKey(pair);
            Assert.True(mac.IsPersistent);
            Assert.False(session.IsPersistent);
        }

        var reopened = Open();
        var foundMac = reopened.FindKey(macLabel);
        var foundPair = reopened.FindKey(pairLabel);
        Assert.NotNull(foundMac);
        Assert.NotNull(foundPair);
        Assert.Equal(KeyKind.Aes256, foundMac.Kind);
        Assert.Equal(KeyKind.EcP384, foundPair.Kind);
        Assert.True(foundMac.IsPersistent);
        Assert.Equal(tag, reopened.Mac(foundMac, message));
        Assert.Equal(publicKey, reopened.GetPublicKey(foundPair));
        using var verifier = ECDsa.Create();
        verifier.ImportSubjectPublicKeyInfo(publicKey, out _);
        Assert.True(verifier.VerifyData(message, reopened.Sign(foundPair, message), HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        Assert.Null(reopened.FindKey(sessionLabel));
        Assert.Null(reopened.FindKey(Label("never-created")));
    }

    [Fact]
    public void A_key_refuses_uses_it_was_not_created_for()
    {
        var hsm = Open();
        var wrapOnly = hsm.Generate(Aes("wrap-only", KeyUsage.Wrap));
        var signer = hsm.Generate(Ec("signer", KeyUsage.Sign));

        Assert.Equal(Code(Failure.WrongUsage), Assert.Throws<HsmException>(() => hsm.Mac(wrapOnly, [1])).Code);
        Assert.Equal(Code(Failure.WrongUsage), Assert.Throws<HsmException>(() => hsm.Unwrap(wrapOnly, new byte[40], Aes("x", KeyUsage.Mac))).Code);
        Assert.Equal(Code(Failure.WrongKind), Assert.Throws<HsmException>(() => hsm.Sign(wrapOnly, [1])).Code);
        Assert.Equal(Code(Failure.WrongUsage), Assert.Throws<HsmException>(() =>
            hsm.Derive(new EcdhHkdf([new EcdhAgreement(signer, hsm.GetPublicKey(signer))], [], []), Aes("y", KeyUsage.Mac))).Code);
    }

    [Fact]
    public void Keys_not_declared_wrappable_never_leave_the_hsm()
    {
        var hsm = Open();
        var kek = hsm.Generate(Aes("kek", KeyUsage.Wrap));
        var secret = hsm.Generate(Aes("secret", KeyUsage.Mac));
        var pair = hsm.Generate(Ec("pair", KeyUsage.Sign));

        Assert.Equal(Code(Failure.NotWrappable), Assert.Throws<HsmException>(() => hsm.Wrap(kek, secret)).Code);
        Assert.Equal(Code(Failure.NotWrappable), Assert.Throws<HsmException>(() => hsm.Wrap(kek, pair)).Code);
    }

    [Fact]
    public void A_tampered_or_misdirected_wrapped_key_is_refused()
    {
        var hsm = Open();
        var kek = hsm.Generate(Aes("kek", KeyUsage.Wrap | KeyUsage.Unwrap));
        var other = hsm.Generate(Aes("other", KeyUsage.Unwrap));
        using var dataKey = hsm.GenerateDataKey(kek);
        var tampered = dataKey.Wrapped.ToArray();
        tampered[^1] ^= 0x01;

        Assert.Equal(Code(Failure.WrappedKeyRejected), Assert.Throws<HsmException>(() => hsm.Unwrap(kek, tampered, Aes("a", KeyUsage.Mac))).Code);
        Assert.Equal(Code(Failure.WrappedKeyRejected), Assert.Throws<HsmException>(() => hsm.Unwrap(other, dataKey.Wrapped, Aes("b", KeyUsage.Mac))).Code);
        Assert.Equal(Code(Failure.WrappedKeyRejected), Assert.Throws<HsmException>(() => hsm.Unwrap(kek, dataKey.Wrapped[..24], Aes("c", KeyUsage.Mac))).Code);
    }

    [Fact]
    public void Labels_of_persistent_keys_are_unique()
    {
        var hsm = Open();
        var spec = Aes("unique", KeyUsage.Mac, persistent: true);
        hsm.Generate(spec);
        Assert.Equal(Code(Failure.LabelExists), Assert.Throws<HsmException>(() => hsm.Generate(spec)).Code);
    }

    [Fact]
    public void A_handle_from_another_open_hsm_is_refused()
    {
        var first = Open();
        var second = Open();
        var key = first.Generate(Aes("mine", KeyUsage.Mac));
        Assert.Equal(Code(Failure.ForeignHandle), Assert.Throws<HsmException>(() => second.Mac(key, [1])).Code);
    }

    /// <summary>Derives an AES key by ECDH with a .NET peer, so the test knows its bytes.</summary>
    protected (IKeyHandle Key, byte[] Bytes) DeriveKnownKey(IHsm hsm, KeyUsage usage)
    {
        var ours = hsm.Generate(Ec("known-" + Guid.NewGuid().ToString("N")[..6], KeyUsage.Derive));
        using var peer = Reference.NewPeer();
        var salt = RandomNumberGenerator.GetBytes(32);
        var info = "known key"u8.ToArray();
        var key = hsm.Derive(new EcdhHkdf([new EcdhAgreement(ours, peer.ExportSubjectPublicKeyInfo())], salt, info),
            Aes("derived-" + Guid.NewGuid().ToString("N")[..6], usage));
        return (key, Reference.Hkdf(Reference.SharedSecret(peer, hsm.GetPublicKey(ours)), salt, info));
    }
}
