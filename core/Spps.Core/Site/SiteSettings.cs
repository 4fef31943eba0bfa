using Newtonsoft.Json;
using Newtonsoft.Json.Serialization;
using Spps.Core.IO;

namespace Spps.Core.Site;

/// <summary>
/// What <c>set_hsm_params</c> saves for a site (SPPS_HOME/settings.json). It persists until changed,
/// as in the Job Manager and FlashPro Express. Holds no secrets.
/// </summary>
public sealed class SiteSettings
{
    public int Version { get; set; } = 1;
    public OwnerHsmSettings? JobManager { get; set; }
    public ManufacturerHsmSettings? FlashPro { get; set; }

    /// <summary>M-HSM identity key fingerprints this OE has accepted, by normalized M-HSM UUID (pinned on first reply).</summary>
    public Dictionary<string, string> PinnedManufacturerKeys { get; set; } = new();

    private static readonly JsonSerializerSettings Json = new()
    {
        ContractResolver = new DefaultContractResolver { NamingStrategy = new SnakeCaseNamingStrategy() },
        Formatting = Formatting.Indented,
        NullValueHandling = NullValueHandling.Ignore,
        MissingMemberHandling = MissingMemberHandling.Ignore,
    };

    public static string PathIn(string home) => System.IO.Path.Combine(home, "settings.json");

    public static SiteSettings Load(string home)
    {
        var path = PathIn(home);
        if (!File.Exists(path)) return new SiteSettings();
        try
        {
            return JsonConvert.DeserializeObject<SiteSettings>(File.ReadAllText(path), Json) ?? new SiteSettings();
        }
        catch (JsonException e)
        {
            throw new SppsException(ErrorCodes.ProjectInvalid, $"The site settings are unreadable: {e.Message} Run set_hsm_params again to rewrite them.", new SourceLocation(path));
        }
    }

    public void Save(string home) => AtomicFile.WriteAllText(PathIn(home), JsonConvert.SerializeObject(this, Json) + "\n");

    public OwnerHsmSettings RequireJobManager() => JobManager
        ?? throw new SppsException(ErrorCodes.HsmParamsMissing, "No U-HSM parameters for this site: run set_hsm_params -hsm_server_name NAME -u_hsm_uuid UUID -m_hsm_uuid UUID -u_master_hsm_uuid UUID first.");

    public ManufacturerHsmSettings RequireFlashPro() => FlashPro
        ?? throw new SppsException(ErrorCodes.HsmParamsMissing, "No M-HSM parameters for this site: run set_hsm_params -hsm_server_name NAME -m_hsm_uuid UUID first.");
}

/// <summary>The OE's U-HSM parameters (seed §3.2).</summary>
public sealed class OwnerHsmSettings
{
    public string HsmServerName { get; set; } = "";
    public string UHsmUuid { get; set; } = "";
    public string MHsmUuid { get; set; } = "";
    public string UMasterHsmUuid { get; set; } = "";
    public string? HsmKeysetDir { get; set; }
}

/// <summary>The CM's M-HSM parameters (seed §3.2).</summary>
public sealed class ManufacturerHsmSettings
{
    public string HsmServerName { get; set; } = "";
    public string MHsmUuid { get; set; } = "";
    public bool HsmTypeU { get; set; }
    public string? FtpUsername { get; set; }
}
