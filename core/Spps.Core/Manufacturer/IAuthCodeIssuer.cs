using Spps.Device.Reference;

namespace Spps.Core.Manufacturer;

/// <summary>Who gives a station its authorization codes: the M-HSM in this process, or the site's M-HSM service.</summary>
public interface IAuthCodeIssuer
{
    /// <summary>A short description for the operator, e.g. "M-HSM 10 in this process".</summary>
    string Description { get; }

    AuthCode IssueAuthCode(DeviceEvidence evidence);
}
