using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Tests;

public sealed class FhirDatesTests
{
    [Theory]
    [InlineData("2023", "2023-01-01T00:00:00.0000000Z", FhirDatePrecision.Year)]
    [InlineData("2023-02", "2023-02-01T00:00:00.0000000Z", FhirDatePrecision.Month)]
    [InlineData("2024-02-29", "2024-02-29T00:00:00.0000000Z", FhirDatePrecision.Day)]
    [InlineData("2023-02-03T04:05Z", "2023-02-03T04:05:00.0000000Z", FhirDatePrecision.Minute)]
    [InlineData("2023-02-03T04:05:06Z", "2023-02-03T04:05:06.0000000Z", FhirDatePrecision.Second)]
    [InlineData("2023-02-03T04:05:06.123456789+02:00", "2023-02-03T02:05:06.1234567Z", FhirDatePrecision.Second)]
    [InlineData("2023-12-31T23:30:00-05:00", "2024-01-01T04:30:00.0000000Z", FhirDatePrecision.Second)]
    [InlineData("2150-06-01", "2150-06-01T00:00:00.0000000Z", FhirDatePrecision.Day)]
    public void TryParse_ValidValue_ReturnsUtcAndPrecision(string text, string expectedUtc, FhirDatePrecision precision)
    {
        Assert.True(FhirDates.TryParse(text, out var value));
        Assert.Equal(expectedUtc, value.Utc.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(DateTimeKind.Utc, value.Utc.Kind);
        Assert.Equal(precision, value.Precision);
    }

    [Theory]
    [InlineData("")]
    [InlineData("23")]
    [InlineData("2023-13")]
    [InlineData("2023-02-30")]
    [InlineData("2023-02-03T25:00:00Z")]
    [InlineData("2023-02-03T04:05:06+15:00")]
    [InlineData("2023/02/03")]
    [InlineData("0000-01-01")]
    [InlineData("yesterday")]
    public void TryParse_InvalidValue_ReturnsFalse(string text) => Assert.False(FhirDates.TryParse(text, out _));

    [Fact]
    public void TryParse_TimeWithoutZone_ReadsUtcAndFlagsIt()
    {
        Assert.True(FhirDates.TryParse("2023-02-03T04:05:06", out var value, out var withoutZone));
        Assert.True(withoutZone);
        Assert.Equal(new DateTime(2023, 2, 3, 4, 5, 6, DateTimeKind.Utc), value.Utc);
    }

    [Fact]
    public void UtcEnd_MonthPrecision_IsLastTickOfMonth()
    {
        Assert.True(FhirDates.TryParse("2023-02", out var value));
        Assert.Equal(new DateTime(2023, 3, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(-10), value.UtcEnd);
    }
}
