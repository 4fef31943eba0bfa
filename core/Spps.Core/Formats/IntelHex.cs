using System.Globalization;

namespace Spps.Core.Formats;

/// <summary>
/// Reads Intel HEX (record types 00-05). The result is an image whose offset 0 is address 0 of the
/// eNVM client; gaps are erased flash (0xFF). Every malformed line is reported with its line number.
/// Every address is checked against <c>maxLength</c> before anything is allocated.
/// </summary>
public static class IntelHex
{
    /// <param name="path">the Intel HEX file</param>
    /// <param name="maxLength">the most bytes the image may span (the client, or the eNVM left on the device)</param>
    /// <param name="limit">what <paramref name="maxLength"/> is, for messages</param>
    public static byte[] Read(string path, long maxLength, string limit = "the client size")
    {
        maxLength = Math.Min(maxLength, Array.MaxLength); // an image is one array: never an address beyond what one can hold
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SppsException(ErrorCodes.FileNotFound, $"{path} does not exist.");
        }
        var data = new SortedDictionary<long, byte>();
        long upper = 0;
        var sawEnd = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var where = new SourceLocation(path, i + 1);
            var line = lines[i].Trim();
            if (line.Length == 0) continue;
            if (sawEnd) throw new SppsException(ErrorCodes.IntelHexInvalid, "Data after the end-of-file record.", where);
            if (line[0] != ':' || line.Length < 11 || line.Length % 2 == 0)
                throw new SppsException(ErrorCodes.IntelHexInvalid, "Not an Intel HEX record: each line must be ':' followed by an even number of hex digits.", where);
            byte[] record;
            try { record = Convert.FromHexString(line.AsSpan(1)); }
            catch (FormatException) { throw new SppsException(ErrorCodes.IntelHexInvalid, "The record has a character that is not a hex digit.", where); }
            var count = record[0];
            if (record.Length != count + 5)
                throw new SppsException(ErrorCodes.IntelHexInvalid, $"The record says {count} data bytes but holds {record.Length - 5}.", where);
            byte sum = 0;
            foreach (var b in record) sum += b;
            if (sum != 0)
                throw new SppsException(ErrorCodes.IntelHexInvalid, "Checksum mismatch: the line was altered.", where);
            var address = (record[1] << 8) | record[2];
            var payload = record.AsSpan(4, count);
            switch (record[3])
            {
                case 0x00:
                    for (var k = 0; k < count; k++)
                    {
                        var at = upper + address + k;
                        if (at >= maxLength)
                            throw new SppsException(ErrorCodes.IntelHexInvalid, $"Address 0x{at.ToString("X", CultureInfo.InvariantCulture)} is beyond {limit} of {maxLength} bytes.", where);
                        data[at] = payload[k];
                    }
                    break;
                case 0x01: sawEnd = true; break;
                case 0x02 when count == 2: upper = ((payload[0] << 8) | payload[1]) * 16L; break;
                case 0x04 when count == 2: upper = (long)((payload[0] << 8) | payload[1]) << 16; break;
                case 0x03 or 0x05: break;
                default:
                    throw new SppsException(ErrorCodes.IntelHexInvalid, $"Record type {record[3]:X2} with {count} bytes is not valid Intel HEX.", where);
            }
        }
        if (!sawEnd) throw new SppsException(ErrorCodes.IntelHexInvalid, "No end-of-file record (:00000001FF): the file is truncated.", new SourceLocation(path, lines.Length));
        if (data.Count == 0) return [];
        var image = new byte[data.Keys.Max() + 1];
        Array.Fill(image, (byte)0xFF);
        foreach (var (at, value) in data) image[at] = value;
        return image;
    }

    /// <summary>Reads an eNVM client file: Intel HEX when it looks like one, raw binary otherwise.</summary>
    public static byte[] ReadClientFile(string path, long maxLength, string limit = "the eNVM client")
    {
        if (!File.Exists(path)) throw new SppsException(ErrorCodes.FileNotFound, $"{path} does not exist.");
        using (var probe = File.OpenRead(path))
        {
            if (probe.ReadByte() == ':' && (path.EndsWith(".hex", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ihex", StringComparison.OrdinalIgnoreCase)))
                return Read(path, maxLength, limit);
        }
        var length = new FileInfo(path).Length; // checked before the file is read into memory
        if (length > Math.Min(maxLength, Array.MaxLength))
            throw new SppsException(ErrorCodes.InvalidOptionValue, $"{path} is {length} bytes, larger than {limit} ({maxLength} bytes).");
        return File.ReadAllBytes(path);
    }
}
