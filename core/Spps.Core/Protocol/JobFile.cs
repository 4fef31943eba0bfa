using Newtonsoft.Json.Linq;
using Spps.Core.Crypto;
using Spps.Core.Formats;

namespace Spps.Core.Protocol;

/// <summary>
/// The programming job (.job) the OE sends the CM: job and chain, bitstream headers, tickets wrapped to
/// one M-HSM, the silicon vendors its devices must come from, the request/reply digests that bind them;
/// the bitstream ciphertexts are the payload. Signed by the U-HSM.
/// </summary>
public sealed record JobFile(
    SppsFile File,
    string Job,
    string JobType,
    string HsmTask,
    string UHsmUuid,
    byte[] UHsmIdentityKey,
    string MHsmUuid,
    string MHsmIdentityFingerprint,
    string MHsmTransportFingerprint,
    string RequestDigest,
    Domain.SiliconTrust Trust,
    IReadOnlyList<JobDevice> Devices,
    IReadOnlyList<JobBitstream> Bitstreams,
    IReadOnlyList<JobTicket> Tickets)
{
    public const string Kind = "job";
    /// <summary>Version 2 names the job's silicon trust (device_trust); version 1 jobs trusted the CM's folder and are refused.</summary>
    public const int Version = 2;

    public string Digest => File.Digest;

    public static JobFile Read(string path, bool verifyPayload)
    {
        var file = SppsFile.Read(path, Kind, signed: true);
        HeaderFields.ExpectVersion(file, Version);
        var h = file.Header;
        var uhsm = HeaderFields.Object(file, h, "u_hsm");
        var uhsmKey = HeaderFields.Base64(file, uhsm, "identity_key");
        PublicKeys.VerifyFile(file, uhsmKey, "U-HSM named in the job");
        var job = HeaderFields.Object(file, h, "job");
        var mhsm = HeaderFields.Object(file, h, "m_hsm");
        var deviceTrust = HeaderFields.Object(file, h, "device_trust");
        var trust = new Domain.SiliconTrust(HeaderFields.Base64List(file, deviceTrust, "vendor_roots"), HeaderFields.Base64List(file, deviceTrust, "dfk_signers"));
        var devices = HeaderFields.Objects(file, h, "devices").Select(d => new JobDevice(
            HeaderFields.String(file, d, "name"), (int)HeaderFields.Long(file, d, "hw_location", 1), HeaderFields.String(file, d, "bitstream"))).ToList();
        var bitstreams = HeaderFields.Objects(file, h, "bitstreams").Select(b => new JobBitstream(
            HeaderFields.String(file, b, "name"), HeaderFields.String(file, b, "header"), HeaderFields.String(file, b, "design"),
            HeaderFields.Hex(file, b, "design_digest", 32), HeaderFields.Long(file, b, "offset", 0), HeaderFields.Long(file, b, "length", 0),
            HeaderFields.Long(file, b, "plaintext_length", 0), (int)HeaderFields.Long(file, b, "segment_size", 1))).ToList();
        var tickets = HeaderFields.Objects(file, h, "tickets").Select(t => new JobTicket(
            HeaderFields.TicketId(file, t, "ticket_id"), JobRequest.ReadTicket(file, t), HeaderFields.String(file, t, "bitstream"),
            HeaderFields.KeyMode(file, t, "key_mode"), HeaderFields.Bool(file, t, "generate_coc"), HeaderFields.Base64(file, t, "ephemeral"),
            HeaderFields.Base64(file, t, "wrapped_kip"), HeaderFields.Base64(file, t, "wrapped_end_key"))).ToList();
        var result = new JobFile(file, HeaderFields.String(file, job, "name"), HeaderFields.String(file, job, "type"), HeaderFields.String(file, h, "hsm_task"),
            HeaderFields.String(file, uhsm, "uuid"), uhsmKey, HeaderFields.String(file, mhsm, "uuid"), HeaderFields.Hex(file, mhsm, "identity_fingerprint", 48),
            HeaderFields.Hex(file, mhsm, "transport_fingerprint", 48), HeaderFields.Hex(file, h, "request_digest", 48), trust, devices, bitstreams, tickets);
        if (verifyPayload) file.VerifyPayload();
        return result;
    }

    public Stream OpenBitstream(JobBitstream bitstream)
    {
        var stream = System.IO.File.OpenRead(File.Path);
        stream.Position = File.PayloadOffset + bitstream.Offset;
        return new IO.BoundedStream(stream, bitstream.Length);
    }
}
