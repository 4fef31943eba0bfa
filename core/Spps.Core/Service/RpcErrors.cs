using Grpc.Core;

namespace Spps.Core.Service;

/// <summary>How an SPPS error crosses the wire: the gRPC status carries the message, the trailer the stable code.</summary>
public static class RpcErrors
{
    public const string CodeTrailer = "spps-error-code";

    public static RpcException ToRpc(string code, string message)
    {
        var status = code switch
        {
            ErrorCodes.StationNotAuthorized => StatusCode.PermissionDenied,
            ErrorCodes.Overbuild => StatusCode.ResourceExhausted,
            ErrorCodes.LedgerUnavailable or ErrorCodes.ServiceUnavailable => StatusCode.Unavailable,
            ErrorCodes.TicketNotActive or ErrorCodes.ActionNotAuthorized or ErrorCodes.DeviceNotGenuine or ErrorCodes.DfkMissing => StatusCode.FailedPrecondition,
            ErrorCodes.LedgerCorrupt => StatusCode.DataLoss,
            _ => StatusCode.InvalidArgument,
        };
        return new RpcException(new Status(status, message), new Metadata { { CodeTrailer, code } });
    }

    /// <summary>The SPPS error a refused call carries, or null when the call failed below the protocol (transport, crash).</summary>
    public static SppsException? FromRpc(RpcException e) =>
        e.Trailers.GetValue(CodeTrailer) is { } code ? new SppsException(code, e.Status.Detail) : null;
}
