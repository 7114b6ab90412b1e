using FhirRisk.Server.Grpc.Internal;

namespace FhirRisk.Server.Tests.Protocol;

public sealed class PercentEncodingTests
{
    [Theory]
    [InlineData("Deadline exceeded.", "Deadline exceeded.")]
    [InlineData("100% done", "100%25 done")]
    [InlineData("line\nbreak\t", "line%0Abreak%09")]
    [InlineData("naïve", "na%C3%AFve")]
    [InlineData("✓ ok", "%E2%9C%93 ok")]
    [InlineData("😀", "%F0%9F%98%80")]
    [InlineData("~ {} []", "~ {} []")]
    [InlineData("\u007f", "%7F")]
    public void Encode_MatchesTheSpec(string message, string encoded)
    {
        Assert.Equal(encoded, PercentEncoding.Encode(message));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain")]
    [InlineData("a%b ✓ 😀 \r\n %% %zz")]
    public void Encode_ThenDecode_RoundTrips(string message)
    {
        Assert.Equal(message, PercentEncoding.Decode(PercentEncoding.Encode(message)));
    }

    [Theory]
    [InlineData("50%", "50%")]
    [InlineData("%zz", "%zz")]
    [InlineData("%4", "%4")]
    [InlineData("%41%42", "AB")]
    [InlineData("%e2%9c%93", "✓")]
    public void Decode_IsLenient(string value, string decoded)
    {
        Assert.Equal(decoded, PercentEncoding.Decode(value));
    }

    [Fact]
    public void Encode_Output_IsPrintableAsciiOnly()
    {
        var encoded = PercentEncoding.Encode(string.Concat(Enumerable.Range(0, 600).Select(i => (char)i)));

        Assert.All(encoded, c => Assert.InRange(c, ' ', '~'));
    }
}
