using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Spps.Contracts.Programmers;
using Spps.Core.Device;
using Spps.Core.Domain;
using Spps.Core.Protocol;
using Spps.Device.Reference;

namespace Spps.Core.Manufacturer;

/// <summary>
/// What a read-only action read from a device (fields it did not read are null). The device reports its state
/// unauthenticated: this is what the device says, not a proof; a VERIFY (with a code) yields a CoC the OE checks.
/// </summary>
public sealed record DeviceReading(
    uint IdCode, bool ReferenceFamily, string? Dsn = null, bool? Programmed = null, string? Design = null, string? DesignDigest = null,
    int? CycleCount = null, string? FactoryLot = null, string? CertificateSubject = null, string? CertificateIssuer = null,
    string? ExpectedDesignDigest = null, bool? DigestMatches = null)
{
    public string IdCodeText => $"0x{IdCode:X8}";
}

/// <summary>
/// The read-only actions DEVICE_INFO, READ_IDCODE and VERIFY_DIGEST on one device: JTAG reads and the GET_STATE /
/// GET_CERTIFICATE mailbox commands, which need no authorization code. They never ask the M-HSM for one.
/// </summary>
public static class DeviceReadout
{
    public static BoardResult Run(IJtagPort port, ProgrammingAction action, JobDevice device, JobBitstream bitstream)
    {
        if (action.NeedsAuthorizationCode) throw new ArgumentException($"{action} is not a read-only action.", nameof(action));
        string? dsn = null;
        try
        {
            var chip = new ReferenceDevice(port);
            var idcode = chip.ReadIdCode();
            var reference = idcode == JtagInstructions.ReferenceIdCode;
            if (action == ProgrammingAction.ReadIdCode)
            {
                var reading = new DeviceReading(idcode, reference);
                return new BoardResult(port.Location, null, action, true,
                    $"READ_IDCODE on device {device.Name}: IDCODE {reading.IdCodeText} ({(reference ? "reference family" : "not the reference family")})", null, null, Reading: reading);
            }
            if (!reference)
                throw new SppsException(ErrorCodes.WrongDevice, $"IDCODE 0x{idcode:X8} is not a reference-family device (0x{JtagInstructions.ReferenceIdCode:X8}): its state cannot be read.");
            dsn = chip.ReadDsn();
            var state = chip.State();
            return action == ProgrammingAction.DeviceInfo
                ? Info(port, chip, device, idcode, state)
                : VerifyDigest(port, device, bitstream, idcode, state);
        }
        catch (Exception e) when (BoardResult.IsBoardFailure(e))
        {
            return BoardResult.Failure(port.Location, dsn, action, e);
        }
        finally
        {
            port.Dispose();
        }
    }

    private static BoardResult Info(IJtagPort port, ReferenceDevice chip, JobDevice device, uint idcode, DeviceState state)
    {
        string? subject = null, issuer = null;
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(chip.Certificate());
            (subject, issuer) = (certificate.Subject, certificate.Issuer);
        }
        catch (CryptographicException)
        {
            subject = "(unreadable certificate)";
        }
        var reading = new DeviceReading(idcode, true, state.Dsn, state.Programmed, state.Design, state.DesignDigest, state.CycleCount, state.FactoryLot, subject, issuer);
        var contents = state.Programmed ? $"programmed with {state.Design ?? "an unknown design"} (design digest {Short(state.DesignDigest)})" : "blank";
        return new BoardResult(port.Location, state.Dsn, ProgrammingAction.DeviceInfo, true,
            $"DEVICE_INFO on device {device.Name}: IDCODE {reading.IdCodeText}, DSN {state.Dsn}, {contents}, {state.CycleCount.ToString(CultureInfo.InvariantCulture)} programming cycle(s), " +
            $"factory lot {state.FactoryLot}, certificate {subject} issued by {issuer}", null, null, Reading: reading);
    }

    private static BoardResult VerifyDigest(IJtagPort port, JobDevice device, JobBitstream bitstream, uint idcode, DeviceState state)
    {
        var matches = state.Programmed && string.Equals(state.DesignDigest, bitstream.DesignDigest, StringComparison.OrdinalIgnoreCase);
        var reading = new DeviceReading(idcode, true, state.Dsn, state.Programmed, state.Design, state.DesignDigest, state.CycleCount, state.FactoryLot,
            ExpectedDesignDigest: bitstream.DesignDigest, DigestMatches: matches);
        if (matches)
            return new BoardResult(port.Location, state.Dsn, ProgrammingAction.VerifyDigest, true,
                $"VERIFY_DIGEST succeeded on device {device.Name} (DSN {state.Dsn}): its design digest {Short(state.DesignDigest)} is the job's ({bitstream.Design}); no code was used", null, null, Reading: reading);
        var why = state.Programmed
            ? $"it holds {state.Design ?? "an unknown design"} (design digest {Short(state.DesignDigest)}), not the job's {bitstream.Design} ({Short(bitstream.DesignDigest)})"
            : $"it is blank, the job's design is {bitstream.Design} ({Short(bitstream.DesignDigest)})";
        return new BoardResult(port.Location, state.Dsn, ProgrammingAction.VerifyDigest, false,
            $"VERIFY_DIGEST failed on device {device.Name} (DSN {state.Dsn}): {why}; no code was used", ErrorCodes.DigestMismatch, null, Reading: reading);
    }

    private static string Short(string? digest) => digest is null ? "none" : digest.Length > 16 ? digest[..16] + "…" : digest;
}

/// <summary>The issuer of a run whose action needs no code: it names itself for the run's header and never issues.</summary>
internal sealed class NoCodesIssuer(ProgrammingAction action) : IAuthCodeIssuer
{
    public string Description => $"no M-HSM ({action} only reads the devices: no code is used)";

    public AuthCode IssueAuthCode(DeviceEvidence evidence) => throw Policy.PolicyErrors.NoCodeForReadOnly(action);
}
