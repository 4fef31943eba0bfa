using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Spps.Core;
using Spps.Core.Formats;

namespace Spps.Build.Tasks;

/// <summary>
/// Writes a JDC from raw design parts (what a designer's tool hands over), for samples and tests:
/// item = the .jdc to write; metadata Fabric (required), Design, Device, Security, EnvmClients ("name=file.hex,name2=file2.hex").
/// </summary>
public sealed class SppsCreateJdc : Microsoft.Build.Utilities.Task
{
    [Required] public ITaskItem[] Containers { get; set; } = [];

    [Output] public ITaskItem[] Created { get; private set; } = [];

    public override bool Execute()
    {
        var created = new List<ITaskItem>();
        foreach (var item in Containers)
        {
            Log.Run(() =>
            {
                var output = item.GetMetadata("FullPath");
                var where = new SourceLocation(item.GetMetadata("DefiningProjectFullPath"));
                var folder = item.GetMetadata("DefiningProjectDirectory");
                var fabric = item.GetMetadata("Fabric");
                if (string.IsNullOrEmpty(fabric))
                    throw new SppsException(TaskErrorCodes.JdcItemInvalid, $"SppsJdc '{item.ItemSpec}' needs Fabric metadata (the fabric image file).", where);
                var clients = item.GetMetadata("EnvmClients").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(c =>
                {
                    var parts = c.Split('=', 2, StringSplitOptions.TrimEntries);
                    return parts.Length == 2 ? (parts[0], Path.GetFullPath(parts[1], folder))
                        : throw new SppsException(TaskErrorCodes.JdcItemInvalid, $"EnvmClients of SppsJdc '{item.ItemSpec}' is a comma-separated list of name=file.hex, not '{c}'.", where);
                }).ToList();
                var security = item.GetMetadata("Security");
                var jdc = JdcFile.Create(output, Or(item.GetMetadata("Design"), Path.GetFileNameWithoutExtension(output)), Or(item.GetMetadata("Device"), "M2S010"),
                    Path.GetFullPath(fabric, folder), string.IsNullOrEmpty(security) ? null : Path.GetFullPath(security, folder), clients);
                Log.Say($"Wrote JDC {output}: design {jdc.Design} for {jdc.Device}, design digest {jdc.DesignDigestHex}");
                created.Add(new TaskItem(output));
            });
        }
        Created = created.ToArray();
        return !Log.HasLoggedErrors;
    }

    private static string Or(string value, string fallback) => string.IsNullOrWhiteSpace(value) ? fallback : value;
}
