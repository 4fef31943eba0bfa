using Google.Protobuf;
using Spps.Core.Manufacturer;
using V1 = Spps.Mhsm.V1;

namespace Spps.Core.Service;

/// <summary>The wire types of proto/spps/mhsm/v1 to and from the domain records.</summary>
public static class ProtoMapping
{
    public static V1.IssueAuthCodeRequest ToProto(this DeviceEvidence e) => new()
    {
        TicketId = e.TicketId,
        Action = e.Action,
        Dsn = e.Dsn,
        DeviceCertificate = e.Certificate is null ? ByteString.Empty : ByteString.CopyFrom(e.Certificate),
        DeviceEphemeralKey = e.EphemeralKey is null ? ByteString.Empty : ByteString.CopyFrom(e.EphemeralKey),
        FactoryLot = e.FactoryLot ?? "",
    };

    /// <param name="station">The station the service authenticated (never taken from the request).</param>
    public static DeviceEvidence ToEvidence(this V1.IssueAuthCodeRequest r, string station) => new(
        r.TicketId, r.Action, r.Dsn,
        r.DeviceCertificate.IsEmpty ? null : r.DeviceCertificate.ToByteArray(),
        r.DeviceEphemeralKey.IsEmpty ? null : r.DeviceEphemeralKey.ToByteArray(),
        r.FactoryLot.Length == 0 ? null : r.FactoryLot,
        station);

    public static V1.AuthCode ToProto(this Spps.Device.Reference.AuthCode c) => new()
    {
        TicketId = c.TicketId, Action = c.Action, KeyMode = c.KeyMode, Dsn = c.Dsn, Nonce = c.Nonce,
        HsmEphemeral1 = c.HsmEphemeral1 ?? "", HsmEphemeral2 = c.HsmEphemeral2 ?? "", WrappedKip = c.WrappedKip,
    };

    public static Spps.Device.Reference.AuthCode ToAuthCode(this V1.AuthCode c) => new(
        c.TicketId, c.Action, c.KeyMode, c.Dsn, c.Nonce,
        c.HsmEphemeral1.Length == 0 ? null : c.HsmEphemeral1,
        c.HsmEphemeral2.Length == 0 ? null : c.HsmEphemeral2,
        c.WrappedKip);
}
