using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;

namespace FhirRisk.Meds.Tests.FhirMapping;

public sealed class UcumUnitsTests
{
    [Theory]
    [InlineData("milligram per deciliter", "http://unitsofmeasure.org", "mg/dL", "mg/dL")]
    [InlineData("mm Hg", "https://unitsofmeasure.org/", "mm[Hg]", "mm[Hg]")]
    [InlineData("mg/dl", null, null, "mg/dL")]
    [InlineData(" ml ", "http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-units", "ml", "mL")]
    [InlineData("bpm", null, null, "/min")]
    [InlineData("°F", null, null, "[degF]")]
    // A bare "units" or "u" names no particular unit: UCUM's annotation, not an invented [U] (review s15-fhir).
    [InlineData("units", "http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-units", "units", "{units}")]
    [InlineData("Unit", null, null, "{units}")]
    [InlineData("u", null, null, "{units}")]
    [InlineData("u/l", null, null, "U/L")]
    public void TryNormalize_KnownUnits_ReturnsUcum(string? unit, string? system, string? code, string expected)
    {
        Assert.True(UcumUnits.TryNormalize(new FhirQuantity(1, unit, system, code), out var normalized));
        Assert.Equal(expected, normalized);
    }

    [Fact]
    public void TryNormalize_UnknownUnit_KeepsTrimmedTextAndReportsFalse()
    {
        Assert.False(UcumUnits.TryNormalize(new FhirQuantity(1, " puffs ", null, null), out var unit));
        Assert.Equal("puffs", unit);
    }

    [Fact]
    public void Normalize_NoUnit_ReturnsNull()
    {
        Assert.Null(UcumUnits.Normalize(new FhirQuantity(5, null, null, null)));
        Assert.Null(UcumUnits.Normalize(null));
    }
}
