using System.Text;

namespace Spps.Device.Reference;

/// <summary>
/// HKDF info strings and MAC inputs shared by the HSMs and the devices. Changing one breaks every
/// deployed device, so each carries a version.
/// </summary>
public static class ProtocolLabels
{
    public static byte[] TicketKek(string ticketId, string mhsmUuid) => Utf8($"SPPS ticket KEK v1|{ticketId}|{mhsmUuid}");

    /// <summary>
    /// K_dev's HKDF info. The action is part of it (v2): a code issued for one action does not unwrap for
    /// another, so relabelling a VERIFY code as PROGRAM makes the device refuse it.
    /// </summary>
    public static byte[] DeviceKey(string keyMode, string ticketId, string action, string dsn) => Utf8($"SPPS K_dev v2|{keyMode}|{ticketId}|{action}|{dsn}");

    public static byte[] FactoryKey(string dsn) => Utf8($"SPPS DFK v1|{dsn}");

    /// <summary>HKDF info of the key wrapping a DFK database's lot key to one M-HSM.</summary>
    public static byte[] FactoryKeyDatabaseKek(string lot, string mhsmUuid) => Utf8($"SPPS DFK DB v1|{lot}|{mhsmUuid}");

    /// <summary>What the silicon vendor's DFK signer signs in a DFK database (ECDSA P-384, SHA-384).</summary>
    public static byte[] FactoryKeyDatabaseMessage(string lot, string mhsmUuid, string ephemeralBase64, string wrappedBase64) =>
        Utf8($"SPPS DFK DB v2|{lot}|{mhsmUuid}|{ephemeralBase64}|{wrappedBase64}");

    public static byte[] CocKey(string ticketId) => Utf8($"SPPS CoC key v1|{ticketId}");

    public static byte[] KipCheck => Utf8("SPPS KIP check v1");

    /// <summary>The message a device MACs into its Certificate of Conformance.</summary>
    public static byte[] CocMessage(string dsn, string designDigest, string ticketId, string action, string nonce, string result) =>
        Utf8($"SPPS-COC-V1|{dsn}|{designDigest}|{ticketId}|{action}|{nonce}|{result}");

    /// <summary>The message an M-HSM MACs under K_end when a ticket ends.</summary>
    public static byte[] EndCertifierMessage(string ticketId, long finalCount, string chainHead, string mode, string mhsmUuid) =>
        Utf8($"SPPS-END-V1|{ticketId}|{finalCount}|{chainHead}|{mode}|{mhsmUuid}");

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
