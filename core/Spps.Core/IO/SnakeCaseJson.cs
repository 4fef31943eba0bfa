using Newtonsoft.Json;
using Newtonsoft.Json.Serialization;

namespace Spps.Core.IO;

/// <summary>
/// The JSON of small records that cross a process or a device boundary (the device mailbox, the CoC log):
/// snake_case names, nulls kept, unknown members refused. One definition, so host and files agree.
/// </summary>
public static class SnakeCaseJson
{
    public static readonly JsonSerializerSettings Settings = new()
    {
        ContractResolver = new DefaultContractResolver { NamingStrategy = new SnakeCaseNamingStrategy() },
        MissingMemberHandling = MissingMemberHandling.Error,
        DateParseHandling = DateParseHandling.None,
    };

    public static byte[] Serialize<T>(T value) => System.Text.Encoding.UTF8.GetBytes(JsonConvert.SerializeObject(value, Settings));

    /// <summary>Reads a value; throws <see cref="JsonException"/> when the bytes are not one.</summary>
    public static T Deserialize<T>(ReadOnlySpan<byte> utf8) => Deserialize<T>(System.Text.Encoding.UTF8.GetString(utf8));

    public static T Deserialize<T>(string json) =>
        JsonConvert.DeserializeObject<T>(json, Settings) ?? throw new JsonSerializationException("null");
}
