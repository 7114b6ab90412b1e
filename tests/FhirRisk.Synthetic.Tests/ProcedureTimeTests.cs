using System.Text.Json;
using FhirRisk.Fhir;
using FhirRisk.Synthetic.Codes;
using FhirRisk.Synthetic.Fhir;
using FhirRisk.Synthetic.Model;

namespace FhirRisk.Synthetic.Tests;

/// <summary>
/// Ingestion reads a procedure at exactly midnight as one recorded by date and moves it to the end of its day; the
/// simulator charts to the minute, so a procedure that lands on midnight is written a second later and stays where it
/// happened.
/// </summary>
public sealed class ProcedureTimeTests
{
    [Theory]
    [InlineData("2021-08-17T00:00:00", "2021-08-17T00:00:01Z")]
    [InlineData("2021-08-17T00:45:00", "2021-08-17T00:45:00Z")]
    [InlineData("2021-08-16T23:59:00", "2021-08-16T23:59:00Z")]
    public void Procedure_AtMidnight_IsWrittenASecondLater_SoIngestionKeepsItsTime(string charted, string written)
    {
        var time = DateTime.SpecifyKind(DateTime.Parse(charted, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
            ClinicalResourceWriter.Procedure(json, new ProcedureRecord("p1", Procedures.Intubation, time, "e1"), "pat1");

        var performed = JsonDocument.Parse(buffer.ToArray()).RootElement.GetProperty("performedDateTime").GetString();

        Assert.Equal(written, performed);
        Assert.True(FhirDates.TryParse(performed, out var parsed));
        Assert.False(parsed.AtLocalMidnight);
    }
}
