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
    public void TheModelsNamesOfCodes_AreTheDisplays_AndIngestBackAsDescriptions()
    {
        // docs/generate.md listed it as not done: every display was the MEDS code ("LOINC//2160-0//mg/dL").
        var names = new Dictionary<string, string>
        {
            ["LOINC//2160-0//mg/dL"] = "Creatinine [Mass/volume] in Serum or Plasma",
            ["RXNORM//1719286"] = "10 ML Furosemide 10 MG/ML Injection",
        };
        var export = _temp.File("fhir");
        using (var writer = new GeneratedFhirWriter(export, names: names))
        {
            writer.Write(Patient());
            writer.Complete(T0);
        }

        new FhirIngestion(new FhirIngestionSettings { OutputFolder = _temp.File("meds") }).Run([export]);

        var observation = File.ReadAllLines(Path.Combine(export, "Observation.ndjson")).Single();
        Assert.Contains("\"display\":\"Creatinine [Mass/volume] in Serum or Plasma\"", observation, StringComparison.Ordinal);
        var descriptions = MedsDatasetReader.Open(_temp.File("meds")).ReadCodes().ToDictionary(c => c.Code, c => c.Description);
        Assert.Equal("Creatinine [Mass/volume] in Serum or Plasma", descriptions["LOINC//2160-0//mg/dL"]);
        Assert.Equal("10 ML Furosemide 10 MG/ML Injection", descriptions["RXNORM//1719286"]);
        Assert.Equal("ICD10CM//I50.9", descriptions["ICD10CM//I50.9"]); // a code the model does not name keeps its code as display
    }

    [Fact]
    public void AModelOfASiteTimeZone_WritesBirthDatesAsThatSitesDays_AndTheyIngestBackThere()
    {
        // Ingested in Berlin, a birth date of 1951-01-15 is that day's local midnight, 1951-01-14T23:00Z: the UTC date of
        // the instant is the day before, which ingestion in Berlin would read back a day early.
        Assert.True(FhirRisk.Fhir.SiteTimeZone.TryFind("Europe/Berlin", out var berlin));
        var born = new DateTime(1951, 1, 14, 23, 0, 0, DateTimeKind.Utc);
        GeneratedPatient patient = new(11,
        [
            new(11, null, "GENDER//F"),
            new(11, born, MedsSchema.BirthCode),
            new(11, T0, "HOSPITAL_ADMISSION//IMP"),
            new(11, T0.AddDays(3), "HOSPITAL_DISCHARGE//home"),
        ], Tokens: 8, Ended: true);
        var export = _temp.File("fhir");
        using (var writer = new GeneratedFhirWriter(export, berlin))
        {
            writer.Write(patient);
            writer.Complete(T0);
        }

        Assert.Contains("\"birthDate\":\"1951-01-15\"", File.ReadAllText(Path.Combine(export, "Patient.ndjson")), StringComparison.Ordinal);
        new FhirIngestion(new FhirIngestionSettings { OutputFolder = _temp.File("meds"), Reader = FhirRisk.Fhir.FhirReaderSettings.Default with { TimeZone = berlin } }).Run([export]);
        var birth = MedsDatasetReader.Open(_temp.File("meds")).ReadEvents().Single(e => e.Code == MedsSchema.BirthCode);
        Assert.Equal(born, birth.Time);
    }

    [Fact]
    public void EncounterEventsFhirCannotCarry_AreDroppedAndCounted_NotReadBackAsNewStays()
    {
        GeneratedPatient patient = new(9,
        [
            new(9, null, "GENDER//M"),
            new(9, T0, "HOSPITAL_DISCHARGE//home"),
            new(9, T0.AddHours(1), "ED_OUT"),
            new(9, T0.AddDays(1), "ICU_ADMISSION//MICU"),
            new(9, T0.AddDays(1).AddHours(1), "LOINC//2160-0//mg/dL"),
            new(9, T0.AddDays(2), "ICU_DISCHARGE"),
            new(9, T0.AddDays(5), "HOSPITAL_ADMISSION//EMER"),
            new(9, T0.AddDays(6), "HOSPITAL_ADMISSION//IMP"),
            new(9, T0.AddDays(7), "HOSPITAL_DISCHARGE//HOME"),
        ], Tokens: 20, Ended: true);
        var export = _temp.File("fhir");
        List<(string? From, string? To)> changes;
        using (var writer = new GeneratedFhirWriter(export))
        {
            writer.Write(patient);
            writer.Complete(T0);
            changes = writer.CodeChanges;
            Assert.Equal(2, writer.Changes[FhirChange.EndWithNothingOpen]);
            Assert.Equal(2, writer.Changes[FhirChange.IcuOutsideStay]);
            Assert.Equal(1, writer.Changes[FhirChange.ClosedImplicitly]);
            Assert.Equal(1, writer.Changes[FhirChange.ClassRewritten]);
        }

        var ingested = Ingest(export);

        Assert.Equal(2, ingested.Count(c => c.StartsWith("HOSPITAL_ADMISSION//", StringComparison.Ordinal)));
        Assert.DoesNotContain(ingested, c => c.StartsWith("ICU_", StringComparison.Ordinal));
        Assert.Equal(Expected(patient.Events, changes).Order(StringComparer.Ordinal), ingested.Order(StringComparer.Ordinal));
        var encounters = File.ReadAllText(Path.Combine(export, "Encounter.ndjson"));
        Assert.Contains(GeneratedFhirWriter.LocalDischargeDisposition, encounters, StringComparison.Ordinal);
    }

    [Fact]
    public void Observations_KeepTheUnitWithoutAValue_AndFileVitalSignsAsVitalSigns()
    {
        GeneratedPatient patient = new(3,
        [
            new(3, null, "GENDER//F"),
            new(3, T0, "VISIT//AMB"),
            new(3, T0.AddMinutes(1), "LOINC//2160-0//mg/dL"),
            new(3, T0.AddMinutes(2), "LOINC//8867-4///min", 88f),
            new(3, T0.AddMinutes(3), "LOINC//4548-4", 6.1f),
            new(3, T0.AddMinutes(4), "ICD10CM//E11.9"),
        ], Tokens: 9, Ended: true);
        var export = _temp.File("fhir");
        using (var writer = new GeneratedFhirWriter(export))
        {
            writer.Write(patient);
            writer.Complete(T0);
        }

        var observations = File.ReadAllLines(Path.Combine(export, "Observation.ndjson"));
        Assert.Contains("\"vital-signs\"", observations.Single(o => o.Contains("8867-4", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("\"laboratory\"", observations.Single(o => o.Contains("2160-0", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("\"clinicalStatus\"", File.ReadAllText(Path.Combine(export, "Condition.ndjson")), StringComparison.Ordinal);
        var events = MedsEvents(export);
        Assert.Contains(("LOINC//2160-0//mg/dL", (float?)null), events);
        Assert.Contains(("LOINC//8867-4///min", (float?)88f), events);
        Assert.Contains(("LOINC//4548-4", (float?)6.1f), events);
    }

    [Fact]
    public void ModelOutput_IngestsBackToItsEvents_ExceptTheCountedChanges()
    {
        var output = _temp.File("generated");
        SyntheticPatientGeneration.Run(new GenerationSettings
        {
            ModelDirectory = GenerationModel.Directory,
            OutputFolder = output,
            Patients = 30,
            Seed = 12,
            Dataset = GenerationModel.Dataset,
            MaxNewTokens = 64,
            Threads = 1,
        });
        var patients = MedsDatasetReader.Open(Path.Combine(output, SyntheticPatientGeneration.MedsFolder)).ReadSubjects()
            .Select(s => new GeneratedPatient(s.SubjectId, s.Events, 0, true)).ToList();
        var export = _temp.File("fhir");
        List<(string? From, string? To)> changes;
        using (var writer = new GeneratedFhirWriter(export))
        {
            foreach (var patient in patients)
                writer.Write(patient);
            writer.Complete(T0);
            changes = writer.CodeChanges;
            Assert.NotEmpty(changes);
            Assert.DoesNotContain(writer.Skipped.Keys, k => k != "UNK" && k != "NOTE");
        }

        var ingested = Ingest(export);

        // The model's UNK tokens and the sample's NOTE codes have no FHIR home (counted in Skipped).
        var written = patients.SelectMany(p => p.Events).Where(e => e.Code.Split("//")[0] is not ("UNK" or "NOTE"));
        var expected = Expected(written, changes);
        Assert.Equal(expected.Order(StringComparer.Ordinal), ingested.Order(StringComparer.Ordinal));
    }

    /// <summary>The codes of <paramref name="events"/> (static rows, birth and death included) after the writer's changes.</summary>
    [Fact]
    public void Review_s16_an_icu_stay_a_new_admission_ends_sex_and_race_words_and_a_vital_sign_without_a_value()
    {
        // An ICU stay open at a new admission is closed with its stay (it outlived its parent, uncounted); GENDER//FEMALE
        // was written 'unknown'; RACE//WHITE was an ombCategory coding; a vital sign without a value broke R4's
        // vital-signs profile.
        GeneratedPatient patient = new(5,
        [
            new(5, null, "GENDER//FEMALE"),
            new(5, null, "RACE//WHITE"),
            new(5, null, "ETHNICITY//2186-5"),
            new(5, null, "ETHNICITY//UNKNOWN"),
            new(5, T0, "HOSPITAL_ADMISSION//IMP"),
            new(5, T0.AddHours(1), "ICU_ADMISSION//MICU"),
            new(5, T0.AddHours(2), "LOINC//8867-4///min"),
            new(5, T0.AddDays(2), "HOSPITAL_ADMISSION//IMP"),
            new(5, T0.AddDays(3), "HOSPITAL_DISCHARGE//HOME"),
        ], Tokens: 12, Ended: true);
        var (export, changes) = Written(patient);

        var patientJson = File.ReadAllText(Path.Combine(export, "Patient.ndjson"));
        Assert.Contains("\"gender\":\"female\"", patientJson, StringComparison.Ordinal);
        Assert.DoesNotContain("\"code\":\"WHITE\"", patientJson, StringComparison.Ordinal);
        Assert.Equal(1, patientJson.Split("us-core-ethnicity").Length - 1); // one extension, not one per value
        Assert.Contains("\"laboratory\"", File.ReadAllText(Path.Combine(export, "Observation.ndjson")), StringComparison.Ordinal);
        var encounters = File.ReadAllLines(Path.Combine(export, "Encounter.ndjson"));
        Assert.DoesNotContain(encounters, e => e.Contains("in-progress", StringComparison.Ordinal));
        Assert.Contains((null, "ICU_DISCHARGE"), changes);
        Assert.Contains(("ETHNICITY//UNKNOWN", null), changes);

        var ingested = Ingest(export);
        Assert.Contains("GENDER//F", ingested);
        Assert.Contains("RACE//WHITE", ingested);
        Assert.Contains(("GENDER//FEMALE", "GENDER//F"), changes);
        Assert.Equal(Expected(patient.Events, changes).Order(StringComparer.Ordinal), ingested.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EncountersOpenAtTheDeath_EndAtTheDeath_TheStayDischargedToDeath()
    {
        // Review s22 generate L2: a stay open at MEDS_DEATH stayed in-progress after the Patient's deceasedDateTime.
        var death = T0.AddDays(3);
        GeneratedPatient dying = new(4,
        [
            new(4, null, "GENDER//M"),
            new(4, T0.AddHours(-2), "ED_REGISTRATION"),
            new(4, T0, "HOSPITAL_ADMISSION//IMP"),
            new(4, T0.AddHours(5), "ICU_ADMISSION//MICU"),
            new(4, T0.AddDays(1), "ICD10CM//I50.9"),
            new(4, death, MedsSchema.DeathCode),
        ], Tokens: 10, Ended: true);
        // The discharge written after the death at its instant closes its stay itself: nothing is added.
        GeneratedPatient discharged = new(6,
        [
            new(6, null, "GENDER//F"),
            new(6, T0, "HOSPITAL_ADMISSION//IMP"),
            new(6, death, MedsSchema.DeathCode),
            new(6, death, "HOSPITAL_DISCHARGE//exp"),
        ], Tokens: 6, Ended: true);
        var export = _temp.File("fhir");
        List<(string? From, string? To)> changes;
        using (var writer = new GeneratedFhirWriter(export))
        {
            writer.Write(dying);
            Assert.Equal(3, writer.Changes[FhirChange.ClosedAtDeath]);
            writer.Write(discharged);
            Assert.Equal(3, writer.Changes[FhirChange.ClosedAtDeath]);
            Assert.Equal(3, writer.Changes.Values.Sum());
            writer.Complete(T0);
            changes = writer.CodeChanges;
        }

        var encounters = File.ReadAllLines(Path.Combine(export, "Encounter.ndjson"));
        Assert.Equal(4, encounters.Length);
        Assert.DoesNotContain(encounters, e => e.Contains("in-progress", StringComparison.Ordinal));
        Assert.All(encounters, e => Assert.Contains("\"end\":\"2022-04-05T10:00:00Z\"", e, StringComparison.Ordinal));
        Assert.Equal(2, encounters.Count(e => e.Contains("\"code\":\"exp\"", StringComparison.Ordinal)));
        var ingested = Ingest(export);
        Assert.Equal(Expected(dying.Events.Concat(discharged.Events), changes).Order(StringComparer.Ordinal), ingested.Order(StringComparer.Ordinal));
    }

    /// <summary>The patient written as FHIR, and the code changes the writer counted.</summary>
    private (string Export, List<(string? From, string? To)> Changes) Written(GeneratedPatient patient)
    {
        var export = _temp.File("fhir");
        using var writer = new GeneratedFhirWriter(export);
        writer.Write(patient);
        writer.Complete(T0);
        return (export, writer.CodeChanges);
    }

    private static List<string> Expected(IEnumerable<MedsEvent> events, List<(string? From, string? To)> changes)
    {
        var codes = events.Select(e => e.Code).ToList();
        foreach (var (from, to) in changes)
        {
            if (from is not null)
                Assert.True(codes.Remove(from), from);
            if (to is not null)
                codes.Add(to);
        }
        return codes;
    }

    private List<string> Ingest(string export)
    {
        var meds = _temp.File("meds-" + Guid.NewGuid().ToString("N"));
        new FhirIngestion(new FhirIngestionSettings { OutputFolder = meds }).Run([export]);
        return [.. MedsDatasetReader.Open(meds).ReadEvents().Select(e => e.Code)];
    }

    private List<(string Code, float? Value)> MedsEvents(string export)
    {
        var meds = _temp.File("meds-" + Guid.NewGuid().ToString("N"));
        new FhirIngestion(new FhirIngestionSettings { OutputFolder = meds }).Run([export]);
        return [.. MedsDatasetReader.Open(meds).ReadEvents().Select(e => (e.Code, e.NumericValue))];
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
