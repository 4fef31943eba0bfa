using Grpc.Core;

namespace Spps.Core.Service;

/// <summary>How an SPPS error crosses the wire: the gRPC status carries the message, the trailer the stable code.</summary>
public static class RpcErrors
{
    public const string CodeTrailer = "spps-error-code";

    /// <summary>The message travels in an HTTP/2 header: a refusal that quotes a huge field is cut, so the station still gets it.</summary>
    private const int MaxMessage = 1024;

    public static RpcException ToRpc(ErrorCode code, string message)
    {
        var status =
            code == ErrorCodes.StationNotAuthorized ? StatusCode.PermissionDenied :
            code == ErrorCodes.Overbuild ? StatusCode.ResourceExhausted :
            code == ErrorCodes.LedgerUnavailable || code == ErrorCodes.ServiceUnavailable ? StatusCode.Unavailable :
            code == ErrorCodes.TicketNotActive || code == ErrorCodes.ActionNotAuthorized || code == ErrorCodes.DeviceNotGenuine || code == ErrorCodes.DfkMissing
                ? StatusCode.FailedPrecondition :
            code == ErrorCodes.LedgerCorrupt ? StatusCode.DataLoss :
            StatusCode.InvalidArgument;
        if (message.Length > MaxMessage) message = message[..MaxMessage] + "…";
        return new RpcException(new Status(status, message), new Metadata { { CodeTrailer, code.Id } });
    }

    /// <summary>
    /// The SPPS error a refused call carries, or null when the call failed below the protocol (transport, crash).
    /// A code this build does not know (a newer service) is reported as the service being unusable, with its ID.
    /// </summary>
    public static SppsException? FromRpc(RpcException e) =>
        e.Trailers.GetValue(CodeTrailer) is not { } id ? null
        : ErrorCodes.Find(id) is { } code ? new SppsException(code, e.Status.Detail)
        : new SppsException(ErrorCodes.ServiceUnavailable, $"The M-HSM service answered with code {id}, which this station does not know ({e.Status.Detail}): update the station.");
}
