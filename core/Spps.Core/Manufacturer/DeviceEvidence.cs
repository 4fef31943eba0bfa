using Spps.Core.Domain;

namespace Spps.Core.Manufacturer;

/// <summary>What a station read from one device and presents to the M-HSM to ask for its authorization code.</summary>
/// <param name="Certificate">Device certificate (DER), needed when the key mode requires one (KFP, KFPE).</param>
/// <param name="EphemeralKey">Device ephemeral public key (SPKI), needed for KFPE.</param>
/// <param name="FactoryLot">The device's factory key lot, needed for DFK.</param>
/// <param name="Station">The station that asked, as the M-HSM service authenticated it (its certificate's name); recorded in the ledger. Null in process.</param>
public sealed record DeviceEvidence(TicketId TicketId, ProgrammingAction Action, Dsn Dsn, byte[]? Certificate, byte[]? EphemeralKey, string? FactoryLot, string? Station = null);

/// <summary>A ticket's end, as certified by the M-HSM: Mac = AES-CMAC(K_end, ProtocolLabels.EndCertifierMessage).</summary>
public sealed record EndCertifier(TicketId TicketId, long Count, string ChainHead, string Mode, string Mac);
