using Spps.Core.Domain;

namespace Spps.Core.Protocol;

/// <summary>
/// A ticket inside a .job: its spec and ID, plus KIP and K_end wrapped to the one M-HSM:
/// KEK = HKDF-SHA-384(ECDH(Ephemeral, M-HSM transport key), salt = empty, info = ProtocolLabels.TicketKek),
/// WrappedKip = AES-KWP(KEK, KIP), WrappedEndKey = AES-KWP(KEK, K_end).
/// </summary>
public sealed record JobTicket(TicketId Id, TicketSpec Spec, string Bitstream, KeyMode KeyMode, bool GenerateCoc, byte[] Ephemeral, byte[] WrappedKip, byte[] WrappedEndKey);

/// <summary>A bitstream inside a .job: its header (exact bytes, the AEAD's associated data) and where its ciphertext is in the payload.</summary>
public sealed record JobBitstream(string Name, string HeaderJson, string Design, string DesignDigest, long Offset, long Length, long PlaintextLength, int SegmentSize);

/// <summary>One device position in the job's JTAG chain.</summary>
public sealed record JobDevice(string Name, int HwLocation, string Bitstream);
