using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Serialization;
using Spps.Core.IO;
using Spps.Core.Protocol;
using Spps.Device.Reference;

namespace Spps.Core.Manufacturer;

/// <summary>
/// A FlashPro Express job project (FOLDER/NAME.pro): the job file as received, the selected action,
/// and cocs.jsonl, where every station appends the Certificates of Conformance its devices return.
/// The counters are not here: they live in the M-HSM's ledger, so no project operation can reset them.
/// </summary>
public sealed class JobProject
{
    public const string Extension = ".pro";

    public string Format { get; set; } = "spps-flashpro-job-project";
    public int Version { get; set; } = 1;
    public string Name { get; set; } = "";
    public string JobFile { get; set; } = "";
    public string JobDigest { get; set; } = "";
    public string MHsmUuid { get; set; } = "";
    public string ProgrammingAction { get; set; } = Domain.ProgrammingAction.Program.Name;
    public string Created { get; set; } = "";

    /// <summary>The action RUN performs.</summary>
    [JsonIgnore] public Domain.ProgrammingAction Action => Domain.ProgrammingAction.Parse(ProgrammingAction,
        what => new SppsException(ErrorCodes.ProjectInvalid, $"The project's programming action must be {what}.", new SourceLocation(FilePath)));

    [JsonIgnore] public string FilePath { get; private set; } = "";
    [JsonIgnore] public string Folder => Path.GetDirectoryName(FilePath)!;
    private string CocLog => Path.Combine(Folder, "cocs.jsonl");
    private string CocLock => Path.Combine(Folder, ".cocs.lock");

    private static readonly JsonSerializerSettings Settings = new()
    {
        ContractResolver = new DefaultContractResolver { NamingStrategy = new SnakeCaseNamingStrategy() },
        Formatting = Formatting.Indented,
    };

    /// <summary>Creates the project folder for a job that was just loaded. An older folder there is kept aside, never deleted.</summary>
    public static JobProject Create(string location, string jobPath, JobFile job, string mhsmUuid, bool overwrite, Action<string> notice)
    {
        var name = Path.GetFileNameWithoutExtension(jobPath);
        var folder = Path.Combine(location, name);
        var path = Path.Combine(folder, name + Extension);
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
        {
            if (!overwrite)
                throw new SppsException(ErrorCodes.ProjectExists, $"{folder} already exists: use -overwrite 1 to replace it (the old folder is kept as a backup), or another -job_project_location.");
            var backup = $"{folder}.replaced-{DateTime.UtcNow:yyyyMMddTHHmmss}";
            Directory.Move(folder, backup);
            notice($"Kept the previous project folder as {backup}.");
        }
        Directory.CreateDirectory(folder);
        var copy = Path.Combine(folder, Path.GetFileName(jobPath));
        if (!string.Equals(Path.GetFullPath(copy), Path.GetFullPath(jobPath), StringComparison.Ordinal))
            AtomicFile.Write(copy, output => { using var input = File.OpenRead(jobPath); input.CopyTo(output, 1 << 20); });
        var project = new JobProject
        {
            Name = name,
            JobFile = Path.GetFileName(jobPath),
            JobDigest = job.Digest,
            MHsmUuid = mhsmUuid,
            Created = DateTimeOffset.UtcNow.ToString("O"),
            FilePath = Path.GetFullPath(path),
        };
        project.Save();
        return project;
    }

    public static JobProject Load(string path)
    {
        if (!File.Exists(path)) throw new SppsException(ErrorCodes.FileNotFound, $"No FlashPro Express job project at {path}.");
        JobProject? project;
        try { project = JsonConvert.DeserializeObject<JobProject>(File.ReadAllText(path), Settings); }
        catch (JsonException e)
        {
            throw new SppsException(ErrorCodes.ProjectInvalid, $"The job project is damaged: {e.Message.Split(" Path '")[0]}", new SourceLocation(path));
        }
        if (project?.Format != "spps-flashpro-job-project")
            throw new SppsException(ErrorCodes.ProjectInvalid, "This is not a FlashPro Express job project.", new SourceLocation(path, 1));
        project.FilePath = Path.GetFullPath(path);
        return project;
    }

    public void Save() => AtomicFile.WriteAllText(FilePath, JsonConvert.SerializeObject(this, Settings) + "\n");

    public JobFile OpenJob()
    {
        var job = Protocol.JobFile.Read(Path.Combine(Folder, JobFile), verifyPayload: false);
        if (job.Digest != JobDigest)
            throw new SppsException(ErrorCodes.PayloadTampered, $"The job file in {Folder} is not the one this project was created from.", new SourceLocation(Path.Combine(Folder, JobFile)));
        return job;
    }

    /// <summary>Appends a CoC durably; several stations may append at once.</summary>
    public void AppendCoc(Coc coc)
    {
        var line = SnakeCaseJson.Serialize(coc).Concat("\n"u8.ToArray()).ToArray();
        using var gate = FileLock.Acquire(CocLock);
        using var log = new FileStream(CocLog, AtomicFile.AppendOptions(FileMode.Append, FileAccess.Write, FileShare.ReadWrite)); // 0640 at most
        log.Write(line);
        log.Flush(flushToDisk: true);
    }

    public IReadOnlyList<Coc> Cocs()
    {
        if (!File.Exists(CocLog)) return [];
        var cocs = new List<Coc>();
        foreach (var line in File.ReadAllLines(CocLog, Encoding.UTF8))
        {
            if (line.Length == 0) continue;
            try { cocs.Add(SnakeCaseJson.Deserialize<Coc>(line)); }
            catch (JsonException) { /* a torn last line from a crash: that CoC never completed */ }
        }
        return cocs;
    }
}
