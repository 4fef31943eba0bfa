using Spps.Core.Formats;

namespace Spps.Core.Tests;

public sealed class IntelHexTests : IDisposable
{
    private const string Eof = ":00000001FF";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>One record with a correct checksum: ":LLAAAATT DD… CC".</summary>
    private static string Record(int type, int address, params byte[] data)
    {
        byte[] body = [(byte)data.Length, (byte)(address >> 8), (byte)address, (byte)type, .. data];
        var sum = 0;
        foreach (var b in body) sum += b;
        return ":" + Convert.ToHexString(body) + ((byte)-sum).ToString("X2");
    }

    private static string Extended(int type, int value) => Record(type, 0, (byte)(value >> 8), (byte)value);

    private string Write(params string[] lines)
    {
        var path = _dir.File("envm.hex");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    [Fact]
    public void The_record_helper_matches_a_known_record()
    {
        // From the Intel HEX specification's example.
        Assert.Equal(":0B0010006164647265737320676170A7", Record(0, 0x0010, "address gap"u8.ToArray()));
        Assert.Equal(":020000040800F2", Extended(4, 0x0800));
    }

    [Fact]
    public void Data_records_give_the_image_from_address_zero()
    {
        var path = Write(Record(0, 0, 1, 2, 3, 4), Record(0, 4, 5, 6), Eof);

        Assert.Equal([1, 2, 3, 4, 5, 6], IntelHex.Read(path, 1024));
    }

    [Fact]
    public void Gaps_and_the_start_are_erased_flash()
    {
        var path = Write(Record(0, 2, 0xAA), Record(0, 8, 0xBB, 0xCC), Eof);

        Assert.Equal([0xFF, 0xFF, 0xAA, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xBB, 0xCC], IntelHex.Read(path, 1024));
    }

    [Fact]
    public void Records_may_come_in_any_order()
    {
        var path = Write(Record(0, 4, 9, 8), Record(0, 0, 1, 2), Record(0, 2, 3, 4), Eof);

        Assert.Equal([1, 2, 3, 4, 9, 8], IntelHex.Read(path, 1024));
    }

    [Theory]
    [InlineData(4, 0x0001, 0x0010, 0x10010)]   // extended linear address: upper 16 bits
    [InlineData(2, 0x1000, 0x0010, 0x10010)]   // extended segment address: segment * 16
    [InlineData(2, 0x0001, 0x0000, 0x10)]
    [InlineData(4, 0x0000, 0x0003, 0x3)]
    public void Extended_address_records_move_later_data(int type, int value, int address, int expectedAt)
    {
        var path = Write(Extended(type, value), Record(0, address, 0x5A), Eof);

        var image = IntelHex.Read(path, 0x20000);

        Assert.Equal(expectedAt + 1, image.Length);
        Assert.Equal(0x5A, image[expectedAt]);
        Assert.All(image[..expectedAt], b => Assert.Equal(0xFF, b));
    }

    [Fact]
    public void Start_address_records_and_blank_lines_and_lower_case_are_accepted()
    {
        var path = Write("", Record(3, 0, 0, 0, 0, 0).ToLowerInvariant(), Record(5, 0, 0, 0, 1, 0), "  " + Record(0, 0, 0x12) + "  ", "", Eof.ToLowerInvariant(), "");

        Assert.Equal([0x12], IntelHex.Read(path, 16));
    }

    [Fact]
    public void Windows_line_endings_are_accepted()
    {
        var path = _dir.File("crlf.hex");
        File.WriteAllText(path, Record(0, 0, 1, 2) + "\r\n" + Eof + "\r\n");

        Assert.Equal([1, 2], IntelHex.Read(path, 16));
    }

    [Fact]
    public void Only_an_end_record_is_an_empty_image()
    {
        Assert.Empty(IntelHex.Read(Write(Eof), 16));
    }

    [Fact]
    public void Data_up_to_the_last_byte_of_the_client_fits()
    {
        var path = Write(Record(0, 14, 1, 2), Eof);

        Assert.Equal(16, IntelHex.Read(path, 16).Length);
    }

    public static TheoryData<string[], int, string> Errors() => new()
    {
        // lines, line number of the error, a word of the message
        { [Record(0, 0, 1, 2), ":0200000001020F", Eof], 2, "Checksum" },
        { [Record(0, 0, 1, 2), Record(0, 2, 3), Record(0, 3, 4)[..^2] + "00", Eof], 3, "Checksum" },
        { [":030000000102F7", Eof], 1, "3 data bytes but holds 2" },
        { [Record(0, 0, 1), ":01000000010203F9", Eof], 2, "data bytes" },
        { [Record(0, 0, 1), Record(0, 0, 2)], 2, "end-of-file" },
        { [Record(0, 0, 1)], 1, "end-of-file" },
        { [Record(0, 0, 1), Record(0, 15, 1, 2), Eof], 2, "beyond the client size of 16" },
        { [Extended(4, 1), Record(0, 0, 1), Eof], 2, "0x10000" },
        { [Extended(2, 0x1000), Record(0, 0, 1), Eof], 2, "beyond" },
        { [Record(0, 0, 1), "0100000001FE", Eof], 2, "Not an Intel HEX record" },
        { [Record(0, 0, 1), ":0000001FF", Eof], 2, "Not an Intel HEX record" },
        { [Record(0, 0, 1), ":00", Eof], 2, "Not an Intel HEX record" },
        { [Record(0, 0, 1), ":0100000G01FE", Eof], 2, "hex digit" },
        { [Record(0, 0, 1), Record(6, 0, 1), Eof], 2, "Record type 06" },
        { [Record(4, 0, 1), Eof], 1, "Record type 04" },
        { [Record(0, 0, 1), Eof, Record(0, 1, 2)], 3, "after the end-of-file" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Errors_name_their_line(string[] lines, int line, string message)
    {
        var path = Write(lines);

        var e = Assert.Throws<SppsException>(() => IntelHex.Read(path, 16));

        Assert.Equal(ErrorCodes.IntelHexInvalid, e.Code);
        Assert.Equal(new SourceLocation(path, line), e.Location);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_missing_file_is_reported()
    {
        var e = Assert.Throws<SppsException>(() => IntelHex.Read(_dir.File("none.hex"), 16));
        Assert.Equal(ErrorCodes.FileNotFound, e.Code);
    }

    [Fact]
    public void Client_files_are_hex_by_extension_and_raw_binary_otherwise()
    {
        var hex = Write(Record(0, 1, 0x42), Eof);
        var raw = _dir.File("envm.bin");
        File.WriteAllText(raw, Record(0, 1, 0x42) + "\n" + Eof + "\n");

        Assert.Equal([0xFF, 0x42], IntelHex.ReadClientFile(hex, 16));
        Assert.Equal(File.ReadAllBytes(raw), IntelHex.ReadClientFile(raw, 1024));
    }

    [Fact]
    public void A_raw_client_file_larger_than_the_client_is_refused()
    {
        var raw = _dir.File("big.bin");
        File.WriteAllBytes(raw, new byte[17]);

        var e = Assert.Throws<SppsException>(() => IntelHex.ReadClientFile(raw, 16));

        Assert.Equal(ErrorCodes.InvalidOptionValue, e.Code);
        Assert.Contains("17", e.Message);
    }

    [Theory]
    [InlineData(0x7FFE, 512 * 1024)]     // 2 GiB up, an eNVM-sized limit: would allocate a 2 GiB image
    [InlineData(0xFFFF, long.MaxValue)]  // 4 GiB up, no limit: beyond what one array holds (was SPPS9999)
    public void A_far_extended_address_is_refused_before_anything_is_allocated(int upper, long limit)
    {
        var path = Write(Extended(4, upper), Record(0, 0xFFF0, 1), Eof);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var e = Assert.Throws<SppsException>(() => IntelHex.Read(path, limit));
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 16 << 20, "refused only after allocating the image");

        Assert.Equal(ErrorCodes.IntelHexInvalid, e.Code);
        Assert.Equal(new SourceLocation(path, 2), e.Location);
        Assert.Contains($"0x{upper:X4}FFF0", e.Message);
    }

    [Fact]
    public void A_raw_client_file_is_measured_before_it_is_read()
    {
        var raw = _dir.File("big.bin");
        using (var f = File.Create(raw)) f.SetLength(3L << 30); // sparse: 3 GiB that would not fit in one array

        var e = Assert.Throws<SppsException>(() => IntelHex.ReadClientFile(raw, long.MaxValue));

        Assert.Equal(ErrorCodes.InvalidOptionValue, e.Code);
        Assert.Contains("3221225472 bytes", e.Message);
    }
}
