using Newtonsoft.Json;
using Newtonsoft.Json.Serialization;
using Spps.Core.IO;
using Spps.Core.Protocol;

namespace Spps.Core.Owner;

/// <summary>
/// A Job Manager project (.jprj): programming data, bitstreams, jobs and HSM tasks. Lives in a folder
/// with the copied JDCs, eNVM updates and encrypted bitstreams. Holds keys only wrapped under the U-HSM master key.
/// </summary>
public sealed class OwnerProject
{
    public const string Extension = ".jprj";
    public const int CurrentVersion = 1;

    public string Format { get; set; } = "spps-job-manager-project";
    public int Version { get; set; } = CurrentVersion;
    public string Name { get; set; } = "";
    public List<ProgData> ProgData { get; set; } = new();
    public List<BitstreamEntry> Bitstreams { get; set; } = new();
    public List<ProgJob> Jobs { get; set; } = new();

    [JsonIgnore] public string FilePath { get; private set; } = "";
    [JsonIgnore] public string Folder => System.IO.Path.GetDirectoryName(FilePath)!;

    private static readonly JsonSerializerSettings Json = new()
    {
        ContractResolver = new DefaultContractResolver { NamingStrategy = new SnakeCaseNamingStrategy() },
        Formatting = Formatting.Indented,
        NullValueHandling = NullValueHandling.Ignore,
        MissingMemberHandling = MissingMemberHandling.Error,
    };

    public static OwnerProject Create(string location, string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
            throw new SppsException(ErrorCodes.InvalidOptionValue, $"'{name}' cannot be a project name: use letters, digits, '_' or '-'.");
        var folder = System.IO.Path.Combine(location, name);
        var path = System.IO.Path.Combine(folder, name + Extension);
        if (File.Exists(path))
            throw new SppsException(ErrorCodes.ProjectExists, $"Project {path} already exists: open it with open_project, or choose another -name or -location.");
        return new OwnerProject { Name = name, FilePath = path };
    }

    public static OwnerProject Load(string path)
    {
        if (!File.Exists(path)) throw new SppsException(ErrorCodes.FileNotFound, $"No Job Manager project at {path}.");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>A project from its JSON (a file's, or the record a job summary archives); <paramref name="path"/> names it in errors.</summary>
    public static OwnerProject Parse(string json, string path)
    {
        OwnerProject? project;
        try
        {
            project = JsonConvert.DeserializeObject<OwnerProject>(json, Json);
        }
        catch (JsonException e)
        {
            var (line, column) = e is JsonReaderException r ? (r.LineNumber, r.LinePosition) : e is JsonSerializationException s ? (s.LineNumber, s.LinePosition) : (0, 0);
            throw new SppsException(ErrorCodes.ProjectInvalid, $"The project file is damaged: {e.Message.Split(" Path '")[0]}", new SourceLocation(path, line, column));
        }
        if (project is null || project.Format != "spps-job-manager-project")
            throw new SppsException(ErrorCodes.ProjectInvalid, "This is not a Job Manager project file.", new SourceLocation(path, 1));
        if (project.Version != CurrentVersion)
            throw new SppsException(ErrorCodes.UnsupportedVersion, $"Project version {project.Version} is not supported (this version reads {CurrentVersion}).", new SourceLocation(path, 1));
        project.FilePath = System.IO.Path.GetFullPath(path);
        return project;
    }

    public void Save() => AtomicFile.WriteAllText(FilePath, JsonConvert.SerializeObject(this, Json) + "\n");

    public string Absolute(string relative) => System.IO.Path.Combine(Folder, relative);

    public ProgData Data(string name) => ProgData.FirstOrDefault(d => d.Name == name)
        ?? throw new SppsException(ErrorCodes.NameNotFound, $"No programming data '{name}' in project {Name} (have: {string.Join(", ", ProgData.Select(d => d.Name).DefaultIfEmpty("none"))}).");

    public BitstreamEntry Bitstream(string dataName, string name) => Bitstreams.FirstOrDefault(b => b.DataName == dataName && b.Name == name)
        ?? throw new SppsException(ErrorCodes.NameNotFound, $"No bitstream '{name}' in programming data '{dataName}': run init_bitstream first.");

    public ProgJob Job(string name) => Jobs.FirstOrDefault(j => j.Name == name)
        ?? throw new SppsException(ErrorCodes.NameNotFound, $"No job '{name}' in project {Name} (have: {string.Join(", ", Jobs.Select(j => j.Name).DefaultIfEmpty("none"))}).");
}

public sealed class ProgData
{
    public string Name { get; set; } = "";
    public string JdcFile { get; set; } = "";
    public string KeysetFile { get; set; } = "";
    public string Design { get; set; } = "";
    public string Device { get; set; } = "";
    public string DesignDigest { get; set; } = "";
    public List<EnvmUpdate> EnvmUpdates { get; set; } = new();
}

public sealed class EnvmUpdate
{
    public string Client { get; set; } = "";
    public string File { get; set; } = "";
    public long Length { get; set; }
    public string Sha256 { get; set; } = "";
}

public sealed class BitstreamEntry
{
    public string DataName { get; set; } = "";
    public string Name { get; set; } = "";
    public string Type { get; set; } = "MASTER";
    public List<string> Features { get; set; } = new();
    public string Protocol { get; set; } = "AUTH_CODE";
    public string KeyMode { get; set; } = "KFPE";
    public bool GenerateCoc { get; set; }
    public string Design { get; set; } = "";
    public string DesignDigest { get; set; } = "";
    public string HeaderJson { get; set; } = "";
    public string CiphertextFile { get; set; } = "";
    public long PlaintextLength { get; set; }
    public long CiphertextLength { get; set; }
    public string CiphertextSha256 { get; set; } = "";
    public int SegmentSize { get; set; }
    public string WrappedKip { get; set; } = "";
}

public sealed class ProgJob
{
    public string Name { get; set; } = "";
    public string Type { get; set; } = "FPExpress";
    public List<JobDeviceEntry> Devices { get; set; } = new();
    public List<HsmTask> Tasks { get; set; } = new();

    public HsmTask Task(string name) => Tasks.FirstOrDefault(t => t.Name == name)
        ?? throw new SppsException(ErrorCodes.NameNotFound, $"Job {Name} has no HSM task '{name}': run add_hsmtask_to_job first.");
}

public sealed class JobDeviceEntry
{
    public string Name { get; set; } = "";
    public int HwLocation { get; set; } = 1;
    public string DataName { get; set; } = "";
    public string BitstreamName { get; set; } = "";
}

public sealed class HsmTask
{
    public string Name { get; set; } = "";
    public string? CmRequestType { get; set; }
    public List<TicketEntry> Tickets { get; set; } = new();
    public RequestRecord? Request { get; set; }
    public ReplyRecord? Reply { get; set; }
    public List<ExportRecord> Exports { get; set; } = new();
}

public sealed class TicketEntry
{
    public string Name { get; set; } = "";
    public string Device { get; set; } = "";
    public string Action { get; set; } = "";
    public long MaxDevice { get; set; }
    public string? TicketId { get; set; }
    public string? WrappedEndKey { get; set; }

    /// <summary>How much of the ticket's ledger chain the OE has seen in a valid status: its length and head.</summary>
    public long? SeenRecords { get; set; }
    public string? SeenHead { get; set; }

    public TicketSpec Spec => new(Name, Device, Domain.ProgrammingAction.Parse(Action, what => new SppsException(ErrorCodes.ProjectInvalid, $"Ticket {Name}: the action must be {what}.")), MaxDevice);
}

public sealed class RequestRecord
{
    public string File { get; set; } = "";
    public string Digest { get; set; } = "";
    public string Created { get; set; } = "";

    /// <summary>The <see cref="Domain.SiliconTrust.Digest"/> the job named; the M-HSM's load records must show the same.</summary>
    public string? TrustDigest { get; set; }
}

public sealed class ReplyRecord
{
    public string MHsmUuid { get; set; } = "";
    public string IdentityKey { get; set; } = "";
    public string TransportKey { get; set; } = "";
    public string Digest { get; set; } = "";
}

public sealed class ExportRecord
{
    public string File { get; set; } = "";
    public string Digest { get; set; } = "";
    public string Created { get; set; } = "";

    /// <summary>The <see cref="Domain.SiliconTrust.Digest"/> the job named; the M-HSM's load records must show the same.</summary>
    public string? TrustDigest { get; set; }
}
