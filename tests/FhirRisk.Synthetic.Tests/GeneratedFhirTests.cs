using System.Text;
using FhirRisk.Meds;
using FhirRisk.Meds.Ingestion;
using FhirRisk.Synthetic.Generation;
using FhirRisk.Testing;

namespace FhirRisk.Synthetic.Tests;

/// <summary>Generated events written as FHIR: the `fhir` npm validator accepts them, and our ingestion gives them back.</summary>
public sealed class GeneratedFhirTests : IDisposable
{
    private static readonly DateTime T0 = new(2022, 4, 2, 10, 0, 0, DateTimeKind.Utc);
    private readonly TempDirectory _temp = new("fhirrisk-generated-fhir");

    public void Dispose() => _temp.Dispose();

    /// <summary>One patient with every kind of event the writer maps, and one it cannot.</summary>
    private static GeneratedPatient Patient() => new(7,
    [
        new(7, null, "GENDER//F"),
        new(7, null, "RACE//2106-3"),
        new(7, null, "ETHNICITY//2186-5"),
        new(7, T0.AddYears(-71).Date, MedsSchema.BirthCode),
        new(7, T0.AddHours(-3), "ED_REGISTRATION"),
        new(7, T0.AddHours(-1), "ED_OUT"),
        new(7, T0, "HOSPITAL_ADMISSION//IMP"),
        new(7, T0, "ICD10CM//I50.9"),
        new(7, T0.AddHours(1), "LOINC//2160-0//mg/dL", 1.8f),
        new(7, T0.AddHours(2), "RXNORM//1719286"),
        new(7, T0.AddHours(5), "ICU_ADMISSION//MICU"),
        new(7, T0.AddHours(6), "CPT4//31500"),
        new(7, T0.AddHours(7), "UNK//LOINC"),
        new(7, T0.AddDays(2), "ICU_DISCHARGE"),
        new(7, T0.AddDays(4), "HOSPITAL_DISCHARGE//exp"),
        new(7, T0.AddDays(4), MedsSchema.DeathCode),
    ], Tokens: 30, Ended: true);

    [Fact]
    public void GeneratedEvents_IngestBackToTheSameEvents()
    {
        var export = _temp.File("fhir");
        using (var writer = new GeneratedFhirWriter(export))
        {
            writer.Write(Patient());
            writer.Complete(T0);
            Assert.Equal(1, writer.Skipped["UNK"]);
        }

        var ingestion = new FhirIngestion(new FhirIngestionSettings { OutputFolder = _temp.File("meds") }).Run([export]);

        Assert.Empty(ingestion.IssuesByCode);
        Assert.Equal(1, ingestion.Subjects);
        var events = MedsDatasetReader.Open(_temp.File("meds")).ReadEvents().Select(e => (e.Time, e.Code, e.NumericValue)).ToHashSet();
        var expected = Patient().Events.Where(e => e.Code != "UNK//LOINC").Select(e => (e.Time, e.Code, e.NumericValue));
        Assert.All(expected, e => Assert.Contains(e, events));
    }

    [Fact]
    public void GeneratedResources_PassTheFhirNpmValidator()
    {
        var export = _temp.File("fhir");
        using (var writer = new GeneratedFhirWriter(export))
        {
            writer.Write(Patient());
            writer.Write(Patient() with { SubjectId = 8, Events = [.. Patient().Events.Select(e => e with { SubjectId = 8 }).Where(e => e.Code != "HOSPITAL_DISCHARGE//exp" && e.Code != MedsSchema.DeathCode)] });
            writer.Complete(T0);
        }
        var lines = System.IO.Directory.GetFiles(export, "*.ndjson").Order(StringComparer.Ordinal).SelectMany(File.ReadLines).ToList();

        var bundle = new StringBuilder("""{"resourceType":"Bundle","type":"collection","entry":[""");
        bundle.AppendJoin(',', lines.Select(line => $$"""{"resource":{{line}}}"""));
        bundle.Append("]}");
        var validation = NodeInterop.RunJson("fhir-validate.mjs", ["-"], bundle.ToString());

        var errors = validation.GetProperty("messages").EnumerateArray()
            .Where(m => m.GetProperty("severity").GetString() is "error" or "fatal").Select(m => m.GetRawText()).ToList();
        Assert.Empty(errors);
        Assert.True(validation.GetProperty("valid").GetBoolean());
        Assert.Contains(lines, l => l.Contains("\"in-progress\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("\"partOf\"", StringComparison.Ordinal));
    }
}
