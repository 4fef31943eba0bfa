using Spps.Core.Domain;
using Spps.Core.Identifiers;

namespace Spps.Core.Tests;

public sealed class HsmUuidTests
{
    [Theory]
    // The tutorial: the Job Manager writes the M-HSM as …0000010, FlashPro Express as …0010.
    [InlineData("0000000000000000000000000000000000000000000000010", "0000000000000000000000000000000010", true)]
    [InlineData("10", "0010", true)]
    [InlineData("0x10", "10", true)]
    [InlineData("0X00AbC", "abc", true)]
    [InlineData("  10 ", "10", true)]
    [InlineData("0", "0000", true)]
    [InlineData("0x0", "0", true)]
    [InlineData("10", "100", false)]
    [InlineData("010", "0100", false)]
    [InlineData("1", "0", false)]
    [InlineData("000000000000000000000000000001", "000000000000000000000000000000000000000000000030", false)]
    [InlineData("zz", "zz", false)]
    [InlineData("", "", false)]
    [InlineData("10", "1O", false)]
    public void Same_compares_hex_values(string a, string b, bool same)
    {
        Assert.Equal(same, HsmUuid.Same(a, b));
        Assert.Equal(same, HsmUuid.Same(b, a));
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000010", "10")]
    [InlineData("000000000000000000000000000000000000000000000030", "30")]
    [InlineData("00DEADbeef", "deadbeef")]
    [InlineData("0x0", "0")]
    [InlineData("000", "0")]
    public void Normalize_drops_leading_zeros_and_case(string text, string normal)
    {
        Assert.Equal(normal, HsmUuid.Normalize(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("0x")]
    [InlineData("12g4")]
    [InlineData("-10")]
    [InlineData("1 0")]
    [InlineData("{10}")]
    [InlineData("１０")] // full-width digits are not hex
    public void Invalid_uuids_are_refused_with_the_option_name(string text)
    {
        Assert.False(HsmUuid.TryNormalize(text, out _));
        var e = Assert.Throws<SppsException>(() => HsmUuid.Normalize(text, "-m_hsm_uuid"));
        Assert.Equal(ErrorCodes.InvalidOptionValue, e.Code);
        Assert.Contains("-m_hsm_uuid", e.Message);
    }

    [Fact]
    public void Null_and_overlong_are_invalid()
    {
        Assert.False(HsmUuid.TryNormalize(null, out _));
        Assert.False(HsmUuid.TryNormalize(new string('1', 129), out _));
        Assert.True(HsmUuid.TryNormalize(new string('1', 128), out _));
    }

    [Fact]
    public void A_ticket_ID_is_shown_in_its_normal_form_the_one_files_and_json_carry()
    {
        Assert.Equal("10", HsmUuid.Display("0010"));
        var id = HsmUuid.NewTicketId();
        Assert.Equal(id, HsmUuid.Display(id));
        Assert.Equal(id, TicketId.Parse(id, what => new SppsException(ErrorCodes.InvalidField, what)).Display);
    }

    [Fact]
    public void New_ticket_ids_are_normal_and_distinct()
    {
        var ids = Enumerable.Range(0, 200).Select(_ => HsmUuid.NewTicketId()).ToList();

        Assert.All(ids, id => Assert.Equal(id, HsmUuid.Normalize(id)));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
