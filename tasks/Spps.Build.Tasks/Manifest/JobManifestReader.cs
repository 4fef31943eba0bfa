using Newtonsoft.Json.Linq;
using Spps.Core;
using Spps.Core.Formats;
using Spps.Core.Identifiers;

namespace Spps.Build.Tasks.Manifest;

/// <summary>
/// Reads and checks a job manifest without touching an HSM: syntax, unknown fields, values, names and the
/// files it refers to. Everything found here fails the build before any output is written.
/// </summary>
public static class JobManifestReader
{
    private static readonly string[] Actions = ["PROGRAM", "VERIFY", "ERASE"];
    private static readonly string[] Features = ["SECURITY", "FABRIC", "ENVM"];

    /// <param name="keysetMayBeMissing">true when the build creates a missing keyset (SppsCreateKeysetIfMissing).</param>
    public static JobManifest Read(string path, bool keysetMayBeMissing)
    {
        path = Path.GetFullPath(path);
        var root = JsonFields.Parse(path);
        var f = new JsonFields(path);
        var folder = Path.GetDirectoryName(path)!;
        f.Only(root, "the manifest", "$schema", "project", "prog_data", "job");
        var project = f.OptionalString(root, "project", "the manifest") ?? Path.GetFileNameWithoutExtension(path);
        if (project.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new SppsException(TaskErrorCodes.ManifestInvalidValue, $"'project' must be usable as a folder name, not '{project}'.", f.At(root["project"]));

        var progData = f.Objects(root, "prog_data", "the manifest", required: true).Select(d => ReadProgData(f, d, folder, keysetMayBeMissing)).ToList();
        Unique(f, progData.Select(d => (d.Name, d.Location)), "programming data");

        var jobObject = f.Object(root, "job", "the manifest");
        f.Only(jobObject, "job", "name", "type", "devices", "hsm_tasks");
        var jobName = f.String(jobObject, "name", "job");
        var jobType = f.Choice(jobObject, "type", "job", "FPExpress", "FPExpress");
        var devices = f.Objects(jobObject, "devices", "job", required: true).Select(d => ReadDevice(f, d, progData)).ToList();
        Unique(f, devices.Select(d => (d.Name, d.Location)), "device");
        Unique(f, devices.Select(d => (d.HwLocation.ToString(System.Globalization.CultureInfo.InvariantCulture), d.Location)), "hw_location");
        var taskObjects = f.Objects(jobObject, "hsm_tasks", "job", required: true);
        var tasks = taskObjects.Select(t => ReadTask(f, t, folder, jobName, taskObjects.Count, devices)).ToList();
        Unique(f, tasks.Select(t => (t.Name, t.Location)), "HSM task");
        Unique(f, tasks.Select(t => (t.OutputName, t.Location)), "output_name");
        var job = new JobSpec(jobName, jobType, devices, tasks, f.At(jobObject));
        return new JobManifest(path, project, progData, job);
    }

    private static ProgDataSpec ReadProgData(JsonFields f, JObject d, string folder, bool keysetMayBeMissing)
    {
        f.Only(d, "prog_data", "name", "jdc", "keyset", "envm_updates", "bitstreams");
        var name = f.String(d, "name", "prog_data");
        var what = $"prog_data '{name}'";
        var jdc = ExistingFile(f, d, "jdc", what, folder);
        var keysetText = f.String(d, "keyset", what);
        var keyset = Path.GetFullPath(keysetText, folder);
        if (!keysetMayBeMissing && !File.Exists(keyset))
            throw new SppsException(TaskErrorCodes.KeysetMissing,
                $"Keyset {keysetText} does not exist. Create it once in this site's U-HSM with 'dotnet build -t:SppsCreateKeyset' (or set SppsCreateKeysetIfMissing=true), then commit it: it holds keys only wrapped by the U-HSM.", f.At(d["keyset"]));

        var design = JdcFile.Open(jdc, verifyPayload: false);
        var clients = design.Components.Where(c => c.Type == ComponentType.ENVM).Select(c => c.Name).ToList();
        var updates = f.Objects(d, "envm_updates", what, required: false).Select(u =>
        {
            f.Only(u, "envm_updates entry", "client", "file");
            var client = f.String(u, "client", "envm_updates entry");
            if (!clients.Contains(client))
                throw new SppsException(TaskErrorCodes.ManifestUnknownName, $"Design {design.Design} has no eNVM client '{client}' (has: {string.Join(", ", clients.DefaultIfEmpty("none"))}).", f.At(u["client"]));
            return new EnvmUpdateSpec(client, ExistingFile(f, u, "file", "envm_updates entry", folder), f.At(u));
        }).ToList();
        Unique(f, updates.Select(u => (u.Client, u.Location)), "eNVM update client");

        var bitstreams = f.Objects(d, "bitstreams", what, required: true).Select(b =>
        {
            f.Only(b, "bitstream", "name", "type", "features", "protocol", "key_mode", "generate_coc", "envm_clients");
            var bName = f.String(b, "name", "bitstream");
            var bWhat = $"bitstream '{bName}'";
            var features = f.OptionalStrings(b, "features", bWhat)?.Select(x => Features.FirstOrDefault(c => c.Equals(x, StringComparison.OrdinalIgnoreCase))
                ?? throw new SppsException(TaskErrorCodes.ManifestInvalidValue, $"'features' of {bWhat}: '{x}' is not SECURITY, FABRIC or ENVM.", f.At(b["features"]))).ToList();
            var envmClients = f.OptionalStrings(b, "envm_clients", bWhat);
            foreach (var c in envmClients ?? [])
                if (!clients.Contains(c))
                    throw new SppsException(TaskErrorCodes.ManifestUnknownName, $"'envm_clients' of {bWhat}: design {design.Design} has no eNVM client '{c}'.", f.At(b["envm_clients"]));
            return new BitstreamSpec(bName,
                f.Choice(b, "type", bWhat, "MASTER", "MASTER"),
                features,
                f.Choice(b, "protocol", bWhat, "AUTH_CODE", "AUTH_CODE"),
                f.Choice(b, "key_mode", bWhat, "KFPE", "KFPE", "KFP", "DFK"),
                f.OptionalBool(b, "generate_coc", bWhat, false),
                envmClients,
                f.At(b));
        }).ToList();
        Unique(f, bitstreams.Select(b => (b.Name, b.Location)), "bitstream");
        return new ProgDataSpec(name, jdc, keyset, updates, bitstreams, f.At(d), f.At(d["keyset"]));
    }

    private static DeviceSpec ReadDevice(JsonFields f, JObject d, IReadOnlyList<ProgDataSpec> progData)
    {
        f.Only(d, "device", "name", "hw_location", "prog_data", "bitstream");
        var name = f.String(d, "name", "device");
        var what = $"device '{name}'";
        var location = (int)(f.OptionalInteger(d, "hw_location", what, 1, 1024) ?? 1);
        var dataName = f.OptionalString(d, "prog_data", what) ?? (progData.Count == 1 ? progData[0].Name
            : throw new SppsException(TaskErrorCodes.ManifestMissingField, $"{what} needs 'prog_data': the manifest has {progData.Count} programming data entries.", f.At(d)));
        var data = progData.FirstOrDefault(p => p.Name == dataName)
            ?? throw new SppsException(TaskErrorCodes.ManifestUnknownName, $"{what}: no prog_data named '{dataName}' (have: {string.Join(", ", progData.Select(p => p.Name))}).", f.At(d["prog_data"]));
        var bitstream = f.OptionalString(d, "bitstream", what) ?? (data.Bitstreams.Count == 1 ? data.Bitstreams[0].Name
            : throw new SppsException(TaskErrorCodes.ManifestMissingField, $"{what} needs 'bitstream': prog_data '{data.Name}' has {data.Bitstreams.Count} bitstreams.", f.At(d)));
        if (data.Bitstreams.All(b => b.Name != bitstream))
            throw new SppsException(TaskErrorCodes.ManifestUnknownName, $"{what}: prog_data '{data.Name}' has no bitstream '{bitstream}'.", f.At(d["bitstream"]));
        return new DeviceSpec(name, location, data.Name, bitstream, f.At(d));
    }

    private static HsmTaskSpec ReadTask(JsonFields f, JObject t, string folder, string jobName, int taskCount, IReadOnlyList<DeviceSpec> devices)
    {
        f.Only(t, "hsm_task", "name", "cm_request_type", "m_hsm", "output_name", "request_file", "reply_file", "tickets");
        var name = f.String(t, "name", "hsm_task");
        var what = $"HSM task '{name}'";
        var m = f.Object(t, "m_hsm", what);
        f.Only(m, "m_hsm", "uuid", "fingerprint");
        var uuidText = f.Required(m, "uuid", "m_hsm");
        var uuidString = uuidText.Type is JTokenType.String or JTokenType.Integer ? uuidText.ToString() : "";
        if (!HsmUuid.TryNormalize(uuidString, out var uuid))
            throw new SppsException(TaskErrorCodes.ManifestInvalidValue, $"'uuid' of m_hsm must be the M-HSM's UUID in hex (as the CM's set_hsm_params -m_hsm_uuid), not '{uuidString}'.", f.At(uuidText));
        var fingerprint = f.OptionalString(m, "fingerprint", "m_hsm");
        if (fingerprint is not null && (fingerprint.Length != 96 || !fingerprint.All(Uri.IsHexDigit)))
            throw new SppsException(TaskErrorCodes.ManifestInvalidValue, "'fingerprint' of m_hsm must be the 96-hex-digit SHA-384 identity key fingerprint the CM's set_hsm_params printed.", f.At(m["fingerprint"]));

        var outputName = f.OptionalString(t, "output_name", what) ?? (taskCount == 1 ? jobName : $"{jobName}_{name}");
        if (outputName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new SppsException(TaskErrorCodes.ManifestInvalidValue, $"'output_name' must be a file name without folders, not '{outputName}'.", f.At(t["output_name"] ?? t));
        var request = Path.GetFullPath(f.OptionalString(t, "request_file", what) ?? outputName + ".req", folder);
        var reply = Path.GetFullPath(f.OptionalString(t, "reply_file", what) ?? outputName + ".rep", folder);

        var tickets = f.Objects(t, "tickets", what, required: true).Select(x =>
        {
            f.Only(x, "ticket", "name", "device", "action", "max_device");
            var ticketName = f.String(x, "name", "ticket");
            var tWhat = $"ticket '{ticketName}'";
            var device = f.OptionalString(x, "device", tWhat) ?? (devices.Count == 1 ? devices[0].Name
                : throw new SppsException(TaskErrorCodes.ManifestMissingField, $"{tWhat} needs 'device': the job has {devices.Count} devices.", f.At(x)));
            if (devices.All(d => d.Name != device))
                throw new SppsException(TaskErrorCodes.ManifestUnknownName, $"{tWhat}: the job has no device '{device}' (have: {string.Join(", ", devices.Select(d => d.Name))}).", f.At(x["device"]));
            var action = f.Choice(x, "action", tWhat, "", Actions);
            return new TicketRequest(ticketName, device, action, MaxDevice(f, x, tWhat), f.At(x));
        }).ToList();
        Unique(f, tickets.Select(x => (x.Name, x.Location)), "ticket");
        Unique(f, tickets.Select(x => ($"{x.Action} on {x.Device}", x.Location)), "ticket for");
        return new HsmTaskSpec(name, f.OptionalString(t, "cm_request_type", what), new MHsmSpec(uuid, fingerprint?.ToLowerInvariant(), f.At(m)), outputName, request, reply, tickets, f.At(t));
    }

    private static long MaxDevice(JsonFields f, JObject ticket, string what)
    {
        var token = f.Required(ticket, "max_device", what);
        if (token.Type == JTokenType.String && ((string)token!).Equals("unlimited", StringComparison.OrdinalIgnoreCase)) return -1;
        if (token.Type == JTokenType.Integer && (long)token >= 1 && (long)token <= 1_000_000_000) return (long)token;
        throw new SppsException(TaskErrorCodes.ManifestMaxDevice,
            $"'max_device' of {what} must be a device count from 1 to 1000000000, or \"unlimited\" (no overbuild protection), not {token.ToString(Newtonsoft.Json.Formatting.None)}.", f.At(token));
    }

    private static string ExistingFile(JsonFields f, JObject obj, string name, string what, string folder)
    {
        var text = f.String(obj, name, what);
        var full = Path.GetFullPath(text, folder);
        return File.Exists(full) ? full
            : throw new SppsException(TaskErrorCodes.ManifestFileNotFound, $"'{name}' of {what}: {text} does not exist (looked for {full}).", f.At(obj[name]));
    }

    private static void Unique(JsonFields f, IEnumerable<(string Name, SourceLocation Location)> names, string what)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, location) in names)
            if (!seen.Add(name))
                throw new SppsException(TaskErrorCodes.ManifestDuplicateName, $"Two entries use the {what} '{name}': names must be unique.", location);
    }
}
