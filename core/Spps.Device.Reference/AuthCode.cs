namespace Spps.Device.Reference;

/// <summary>
/// What the M-HSM returns for one device and the station loads into it (LOAD_AUTH_CODE, as JSON).
/// K_dev = HKDF-SHA-384(IKM, salt = Nonce, info = ProtocolLabels.DeviceKey) with IKM by key mode:
/// KFPE: ECDH(HsmEphemeral1, device static) ‖ ECDH(HsmEphemeral2, device ephemeral);
/// KFP: ECDH(HsmEphemeral1, device static); DFK: the device's factory key.
/// WrappedKip = AES-KWP(K_dev, KIP).
/// </summary>
public sealed record AuthCode(
    string TicketId,
    string Action,
    string KeyMode,
    string Dsn,
    string Nonce,
    string? HsmEphemeral1,
    string? HsmEphemeral2,
    string WrappedKip);

/// <summary>A device's Certificate of Conformance: CMAC under HKDF(KIP, ProtocolLabels.CocKey) over ProtocolLabels.CocMessage.</summary>
public sealed record Coc(string Dsn, string DesignDigest, string TicketId, string Action, string Nonce, string Result, string Mac);

/// <summary>Non-volatile state a device reports (GET_STATE).</summary>
public sealed record DeviceState(string Dsn, bool Programmed, string? Design, string? DesignDigest, int CycleCount, string FactoryLot);
