using Google.Protobuf;
using Spps.Core.Domain;
using Spps.Core.Manufacturer;
using V1 = Spps.Mhsm.V1;

namespace Spps.Core.Service;

/// <summary>The wire types of proto/spps/mhsm/v1 to and from the domain records.</summary>
public static class ProtoMapping
{
    public static V1.IssueAuthCodeRequest ToProto(this DeviceEvidence e) => new()
    {
        TicketId = e.TicketId.Value,
        Action = e.Action.Name,
        Dsn = e.Dsn.Value,
        DeviceCertificate = e.Certificate is null ? ByteString.Empty : ByteString.CopyFrom(e.Certificate),
        DeviceEphemeralKey = e.EphemeralKey is null ? ByteString.Empty : ByteString.CopyFrom(e.EphemeralKey),
        FactoryLot = e.FactoryLot ?? "",
    };

    /// <param name="station">The station the service authenticated (never taken from the request).</param>
    /// <exception cref="SppsException"><c>SPPS1009</c> when the ticket ID, action or DSN is not one.</exception>
    public static DeviceEvidence ToEvidence(this V1.IssueAuthCodeRequest r, string station) => new(
        TicketId.Parse(r.TicketId, Invalid("ticket_id")), ProgrammingAction.Parse(r.Action, Invalid("action")), Dsn.Parse(r.Dsn, Invalid("dsn")),
        r.DeviceCertificate.IsEmpty ? null : r.DeviceCertificate.ToByteArray(),
        r.DeviceEphemeralKey.IsEmpty ? null : r.DeviceEphemeralKey.ToByteArray(),
        r.FactoryLot.Length == 0 ? null : r.FactoryLot,
        station);

    private static Func<string, SppsException> Invalid(string field) =>
        expected => new SppsException(ErrorCodes.InvalidField, $"The request's {field} must be {expected}.");

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

    public static V1.Coc ToProto(this Spps.Device.Reference.Coc c) => new()
    {
        Dsn = c.Dsn, DesignDigest = c.DesignDigest, TicketId = c.TicketId, Action = c.Action, Nonce = c.Nonce, Result = c.Result, Mac = c.Mac,
    };

    public static Spps.Device.Reference.Coc ToCoc(this V1.Coc c) => new(c.Dsn, c.DesignDigest, c.TicketId, c.Action, c.Nonce, c.Result, c.Mac);
}
