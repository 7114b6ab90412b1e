using FhirRisk.Core;
using FhirRisk.Fhir.Model;
using FhirRisk.Meds.Omop;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Omop;

/// <summary>Hand-built resources through the exporter: every table's header and the rows each resource yields.</summary>
public sealed class OmopExporterTests
{
    private static readonly long s_person = HashingIdResolver.Id("Patient/p1");
    private static readonly long s_visit = HashingIdResolver.Id("Encounter/e1");
    private static readonly long s_icu = HashingIdResolver.Id("Encounter/e1-icu");

    [Fact]
    public void Complete_AllResourceTypes_WritesEveryTableWithDdlHeader()
    {
        using var temp = new TempDirectory();
        OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, OmopFixture.Resources());

        foreach (var table in OmopTables.All)
            Assert.Equal(table.ColumnNames, OmopFixture.ReadCsv(temp.File(table.Name + ".csv")).Header);
        Assert.Equal(
            "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,birth_datetime,race_concept_id,ethnicity_concept_id,location_id,provider_id,care_site_id,person_source_value,gender_source_value,gender_source_concept_id,race_source_value,race_source_concept_id,ethnicity_source_value,ethnicity_source_concept_id",
            File.ReadLines(temp.File("person.csv")).First());
        Assert.False(File.Exists(temp.File("person.parquet")));
    }

    [Fact]
    public void Add_Patient_PersonAndDeathRows()
    {
        using var temp = new TempDirectory();
        OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, OmopFixture.Resources());

        var person = Single(temp, "person");
        Assert.Equal([s_person.ToString(), "8532", "1960", "4", "2", "1960-04-02 00:00:00", "8527", "38003564"], person[..8]);
        Assert.Equal("p1", person[11]);
        Assert.Equal("female", person[12]);
        Assert.Equal("2106-3", person[14]);
        var death = Single(temp, "death");
        Assert.Equal([s_person.ToString(), "2021-03-01", "2021-03-01 10:30:00", "32817", "", "", ""], death);
    }

    [Fact]
    public void Add_EncounterWithIcuSubEncounter_VisitOccurrenceAndVisitDetail()
    {
        using var temp = new TempDirectory();
        OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, OmopFixture.Resources());

        var visit = Single(temp, "visit_occurrence");
        Assert.Equal([s_visit.ToString(), s_person.ToString(), "9201", "2020-01-01", "2020-01-01 08:00:00", "2020-01-05", "2020-01-05 12:00:00", "32827"], visit[..8]);
        Assert.Equal(["IMP", "", "8870", "emd", "8536", "home", ""], visit[10..]);
        var detail = Single(temp, "visit_detail");
        Assert.Equal([s_icu.ToString(), s_person.ToString(), "32037", "2020-01-02"], detail[..4]);
        Assert.Equal(s_visit.ToString(), detail[^1]);
    }

    [Fact]
    public void Add_ClinicalResources_RowsCarrySourceValuesAndVisits()
    {
        using var temp = new TempDirectory();
        var issues = OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, OmopFixture.Resources());

        Assert.Empty(issues);
        var condition = Single(temp, "condition_occurrence");
        Assert.Equal(["1", s_person.ToString(), "0", "2020-01-01", "2020-01-01 09:00:00", "", "", "32827"], condition[..8]);
        Assert.Equal([s_visit.ToString(), "", "44054006", "0", "active"], condition[11..]);
        var drugs = OmopFixture.ReadCsv(temp.File("drug_exposure.csv")).Rows;
        Assert.Equal(["860975", "140"], drugs.Select(r => r[19]));
        Assert.Equal(["32838", "32827"], drugs.Select(r => r[8]));
        Assert.Equal("1 tablet, daily", drugs[0][13]);
        Assert.Equal("73761001", Single(temp, "procedure_occurrence")[13]);
    }

    [Fact]
    public void Add_BloodPressurePanel_OneMeasurementPerComponent()
    {
        using var temp = new TempDirectory();
        OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, OmopFixture.Resources());

        var rows = OmopFixture.ReadCsv(temp.File("measurement.csv")).Rows;
        Assert.Equal(["8480-6", "8462-4"], rows.Select(r => r[16]));
        Assert.Equal(["120", "80"], rows.Select(r => r[8]));
        Assert.All(rows, r => Assert.Equal(["10:15:00", "mm[Hg]", s_visit.ToString(), s_icu.ToString()], [r[5], r[18], r[14], r[15]]));
        var observations = OmopFixture.ReadCsv(temp.File("observation.csv")).Rows;
        Assert.Equal(["72166-2", "300916003"], observations.Select(r => r[14]));
        Assert.Equal(["8517006", ""], observations.Select(r => r[18]));
        Assert.Equal(["", "environment"], observations.Select(r => r[7]));
    }

    [Fact]
    public void Complete_ObservationPeriod_SpansEveryEventDate_AndTheDeath()
    {
        using var temp = new TempDirectory();
        OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, OmopFixture.Resources());

        // The last charted event is on 2020-01-05; the death (2021-03-01) is an event too, and analyses count only what
        // lies inside an observation period (review s18-omop #5).
        Assert.Equal(["1", s_person.ToString(), "2018-05-05", "2021-03-01", "32882"], Single(temp, "observation_period"));
    }

    [Fact]
    public void Add_ProblemResources_IssuesByCodeAndNoRows()
    {
        using var temp = new TempDirectory();
        FhirResource[] resources =
        [
            OmopFixture.Patient() with { BirthDate = null },
            new FhirCondition { Id = "x", Subject = OmopFixture.Ref("Group/g1"), Code = OmopFixture.Code(OmopFixture.Snomed, "1"), Onset = OmopFixture.At(2020, 1, 1) },
            new FhirProcedure { Id = "y", Status = "entered-in-error", Subject = OmopFixture.Ref("Patient/p1"), Performed = OmopFixture.At(2020, 1, 1) },
            new FhirMedicationRequest { Id = "z", Status = "cancelled", Subject = OmopFixture.Ref("Patient/p1"), Start = OmopFixture.At(2020, 1, 1) },
            new FhirObservation { Id = "w", Status = "final", Subject = OmopFixture.Ref("Patient/p1"), Code = OmopFixture.Code(OmopFixture.Loinc, "2160-0") },
            new FhirObservation
            {
                Id = "v", Status = "final", Subject = OmopFixture.Ref("Patient/p1"), Code = OmopFixture.Code(OmopFixture.Loinc, "2160-0"), Effective = OmopFixture.At(2020, 1, 1),
                Value = new FhirValue(FhirValueKind.Quantity) { Quantity = new FhirQuantity(double.NaN, "mg/dL", null, "mg/dL") },
            },
        ];

        var issues = OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, resources);

        Assert.Equal(
            [OmopIssueCodes.NoDate, OmopIssueCodes.NoPerson, OmopIssueCodes.StatusDropped, OmopIssueCodes.StatusDropped, OmopIssueCodes.NoDate, OmopIssueCodes.ValueNotFinite],
            issues.Select(i => i.Code));
        Assert.Equal("test.json:Bundle.entry[0].resource.birthDate", issues[0].Path);
        Assert.Empty(OmopFixture.ReadCsv(temp.File("person.csv")).Rows);
        var measurement = Single(temp, "measurement");
        Assert.Equal(["", "2160-0", "mg/dL"], [measurement[8], measurement[16], measurement[18]]);
    }

    [Fact]
    public void Add_WhatTheMedsMappingLeavesOut_IsNotExportedEither()
    {
        // A statement that the patient did not take a drug, a draft order, a proposal, a planned visit in 2030 (which
        // stretched observation_period into the future), a lab with no result yet and an operation not yet started were
        // exported.
        using var temp = new TempDirectory();
        var drug = new FhirMedicationChoice(OmopFixture.Code("http://www.nlm.nih.gov/research/umls/rxnorm", "197361"), null);
        FhirResource[] resources =
        [
            OmopFixture.Patient(),
            new FhirMedicationStatement { Id = "s1", Status = "not-taken", Subject = OmopFixture.Ref("Patient/p1"), Medication = drug, Start = OmopFixture.At(2020, 4, 4, 8) },
            new FhirMedicationStatement { Id = "s2", Status = "Intended", Subject = OmopFixture.Ref("Patient/p1"), Medication = drug, Start = OmopFixture.At(2020, 4, 4, 8) },
            new FhirMedicationRequest { Id = "r1", Status = "draft", Subject = OmopFixture.Ref("Patient/p1"), Medication = drug, Start = OmopFixture.At(2020, 4, 4, 8) },
            new FhirMedicationRequest { Id = "r2", Status = "active", Intent = "proposal", Subject = OmopFixture.Ref("Patient/p1"), Medication = drug, Start = OmopFixture.At(2020, 4, 4, 8) },
            new FhirEncounter
            {
                Id = "e1", Status = "planned", Class = new FhirCoding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
                Subject = OmopFixture.Ref("Patient/p1"), Period = new FhirPeriod(OmopFixture.At(2030, 1, 1, 10), null),
            },
            new FhirObservation { Id = "o1", Status = "registered", Subject = OmopFixture.Ref("Patient/p1"), Code = OmopFixture.Code(OmopFixture.Loinc, "2160-0"), Effective = OmopFixture.At(2020, 1, 1) },
            new FhirObservation
            {
                Id = "o2", Status = "final", Subject = OmopFixture.Ref("Patient/p1"), Code = OmopFixture.Code(OmopFixture.Loinc, "2160-0"), Effective = OmopFixture.At(2020, 1, 1),
                DataAbsentReason = OmopFixture.Code("http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-performed"),
            },
            new FhirProcedure
            {
                Id = "p1", Status = "preparation", Subject = OmopFixture.Ref("Patient/p1"), Code = OmopFixture.Code(OmopFixture.Snomed, "80146002"),
                Performed = OmopFixture.At(2030, 1, 1, 9),
            },
        ];

        var issues = OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, resources);

        Assert.Equal(8, issues.Count(i => i.Code == OmopIssueCodes.StatusDropped));
        Assert.Empty(OmopFixture.ReadCsv(temp.File("procedure_occurrence.csv")).Rows);
        Assert.Empty(OmopFixture.ReadCsv(temp.File("drug_exposure.csv")).Rows);
        Assert.Empty(OmopFixture.ReadCsv(temp.File("visit_occurrence.csv")).Rows);
        Assert.Empty(OmopFixture.ReadCsv(temp.File("measurement.csv")).Rows);
    }

    [Fact]
    public void Add_APatientMergedIntoAnother_GivesNoPersonRowOfItsOwn_AsMedsWritesNoStaticRows()
    {
        // Read first, the replaced chart's row won, with its demographics, and the survivor's was dropped as a duplicate.
        using var temp = new TempDirectory();
        FhirResource[] resources =
        [
            OmopFixture.Patient("old") with { Gender = "male", ReplacedBy = OmopFixture.Ref("Patient/p1") },
            OmopFixture.Patient("p1"),
        ];

        var issues = OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, resources);

        var person = Single(temp, "person");
        Assert.Equal("p1", person[Array.IndexOf(OmopFixture.ReadCsv(temp.File("person.csv")).Header, "person_source_value")]);
        Assert.Contains(issues, i => i.Code == OmopIssueCodes.StatusDropped && i.Message.Contains("replaced", StringComparison.Ordinal));
    }

    [Fact]
    public void Add_AConditionDatedOnlyByItsEncounter_TakesTheEncountersEnd_AsMedsDoes()
    {
        using var temp = new TempDirectory();
        var ids = new HashingIdResolver();
        var encounter = new FhirEncounter
        {
            Id = "e7", Status = "finished", Class = new FhirCoding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP"),
            Subject = OmopFixture.Ref("Patient/p1"), Period = new FhirPeriod(OmopFixture.At(2020, 2, 1, 8), OmopFixture.At(2020, 2, 4, 12)),
        };
        ids.AddEncounter(encounter);
        FhirResource[] resources =
        [
            OmopFixture.Patient(),
            encounter,
            // MIMIC-IV's diagnoses: neither onset nor recordedDate, only the encounter.
            new FhirCondition { Id = "d1", Subject = OmopFixture.Ref("Patient/p1"), Encounter = OmopFixture.Ref("Encounter/e7"), Code = OmopFixture.Code(OmopFixture.Snomed, "44054006") },
            new FhirCondition { Id = "d2", Subject = OmopFixture.Ref("Patient/p1"), Encounter = OmopFixture.Ref("Encounter/unknown"), Code = OmopFixture.Code(OmopFixture.Snomed, "44054006") },
        ];

        var issues = OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, resources, ids);

        var condition = Single(temp, "condition_occurrence");
        Assert.Contains("2020-02-04", condition);
        Assert.Equal([OmopIssueCodes.NoDate], issues.Where(i => i.Code == OmopIssueCodes.NoDate).Select(i => i.Code));
    }

    [Fact]
    public void Add_AnObservationWithOnlyAPeriodEnd_DatedByThatEnd_AsMedsDoes()
    {
        using var temp = new TempDirectory();
        FhirResource[] resources =
        [
            OmopFixture.Patient(),
            new FhirObservation
            {
                Id = "o", Status = "final", Subject = OmopFixture.Ref("Patient/p1"), Code = OmopFixture.Code(OmopFixture.Loinc, "2160-0"),
                EffectiveEnd = OmopFixture.At(2021, 5, 6, 7), Issued = OmopFixture.At(2021, 5, 9),
            },
        ];

        var issues = OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, resources);

        Assert.Contains("2021-05-06", Single(temp, "measurement"));
        Assert.DoesNotContain(issues, i => i.Code == OmopIssueCodes.NoDate);
    }

    [Fact]
    public void Add_AReportsContainedResults_AreMeasurementsInItsContext()
    {
        // The same rule as the MEDS mapping: result Observations a report carries in `contained` are exported, taking
        // the report's subject and time where they have none; a cancelled report exports none of them.
        using var temp = new TempDirectory();
        var report = new FhirDiagnosticReport
        {
            Id = "r", Status = "final", Subject = OmopFixture.Ref("Patient/p1"), Effective = OmopFixture.At(2021, 5, 6, 7),
            Code = OmopFixture.Code(OmopFixture.Loinc, "24323-8"),
            Results = [OmopFixture.Ref("#k"), OmopFixture.Ref("#k")],
            Contained =
            [
                new FhirObservation
                {
                    Id = "k", Status = "final", Code = OmopFixture.Code(OmopFixture.Loinc, "2823-3"),
                    Categories = [OmopFixture.Code("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")],
                    Value = new FhirValue(FhirValueKind.Quantity) { Quantity = new FhirQuantity(5.9, "mmol/L", "http://unitsofmeasure.org", "mmol/L") },
                },
            ],
        };

        OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, [OmopFixture.Patient(), report, report with { Id = "x", Status = "cancelled" }]);

        var row = OmopFixture.ReadRows(temp.File("measurement.csv")).Single();
        Assert.Equal((s_person.ToString(), "2021-05-06", "5.9", "2823-3"),
            (row["person_id"], row["measurement_date"], row["value_as_number"], row["measurement_source_value"]));
    }

    [Fact]
    public void Add_AnEndBeforeTheStart_IsLeftOut_ButAnEndByDateOnTheStartsDayIsKept()
    {
        // OMOP008: an end before the start is dropped; an end written as that day's midnight (an act recorded by date)
        // names the whole day, so it is not before a start later that day (review s18-changes #8).
        using var temp = new TempDirectory();
        Assert.True(FhirRisk.Fhir.FhirDates.TryParse("2020-03-01T10:00:00-04:00", out var start));
        Assert.True(FhirRisk.Fhir.FhirDates.TryParse("2020-03-01T00:00:00-04:00", out var byDate));
        Assert.True(FhirRisk.Fhir.FhirDates.TryParse("2020-02-20T00:00:00-04:00", out var before));
        FhirProcedure Procedure(string id, FhirDateTime end) => new()
        {
            Id = id, Status = "completed", Subject = OmopFixture.Ref("Patient/p1"), Code = OmopFixture.Code(OmopFixture.Snomed, "80146002"), Performed = start, PerformedEnd = end,
        };
        FhirResource[] resources = [OmopFixture.Patient(), Procedure("by-date", byDate), Procedure("before", before)];

        var issues = OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, resources);

        Assert.Single(issues, i => i.Code == OmopIssueCodes.EndBeforeStart);
        var rows = OmopFixture.ReadRows(temp.File("procedure_occurrence.csv"));
        Assert.Equal(["2020-03-01", ""], rows.Select(r => r["procedure_end_date"]));
    }

    [Fact]
    public void Add_AComponentsRow_DoesNotTakeTheObservationsReferenceRange()
    {
        // Review s18-omop #14: Observation.referenceRange is the range of its own value; each component row took it.
        using var temp = new TempDirectory();
        static FhirValue Quantity(double value) => new(FhirValueKind.Quantity) { Quantity = new FhirQuantity(value, "mm[Hg]", "http://unitsofmeasure.org", "mm[Hg]") };
        FhirResource[] resources =
        [
            OmopFixture.Patient(),
            new FhirObservation
            {
                Id = "bp", Status = "final", Subject = OmopFixture.Ref("Patient/p1"), Code = OmopFixture.Code(OmopFixture.Loinc, "85354-9"),
                Effective = OmopFixture.At(2020, 1, 1, 9), Value = Quantity(93),
                ReferenceLow = new FhirQuantity(70, "mm[Hg]", null, null), ReferenceHigh = new FhirQuantity(100, "mm[Hg]", null, null),
                Components =
                [
                    new FhirObservationComponent(OmopFixture.Code(OmopFixture.Loinc, "8480-6"), Quantity(120), null),
                    new FhirObservationComponent(OmopFixture.Code(OmopFixture.Loinc, "8462-4"), Quantity(80), null),
                ],
            },
        ];

        OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, resources);

        var rows = OmopFixture.ReadRows(temp.File("measurement.csv")).ToDictionary(r => r["measurement_source_value"]);
        Assert.Equal(("70", "100"), (rows["85354-9"]["range_low"], rows["85354-9"]["range_high"]));
        Assert.All(new[] { "8480-6", "8462-4" }, c => Assert.Equal(("", ""), (rows[c]["range_low"], rows[c]["range_high"])));
    }

    [Fact]
    public void Add_DrugDetails_TheDoseGiven_ARequestsSupplyDuration_AndAVaccinesLot()
    {
        // Review s18-omop #9: an administration's dose unit was written without its amount, a request's
        // expectedSupplyDuration was ignored (a 30-day order became a one-day exposure), and a lot number was dropped.
        using var temp = new TempDirectory();
        const string rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
        var drug = new FhirMedicationChoice(OmopFixture.Code(rxnorm, "197361"), null);
        FhirResource[] resources =
        [
            OmopFixture.Patient(),
            new FhirMedicationAdministration
            {
                Id = "a", Status = "completed", Subject = OmopFixture.Ref("Patient/p1"), Medication = drug, Start = OmopFixture.At(2020, 1, 2, 9),
                Dose = new FhirQuantity(10, "mEq", "http://unitsofmeasure.org", "meq"),
            },
            new FhirMedicationRequest
            {
                Id = "r", Status = "active", Intent = "order", Subject = OmopFixture.Ref("Patient/p1"), Medication = drug, Start = OmopFixture.At(2020, 1, 3, 9),
                ExpectedSupplyDuration = new FhirQuantity(4, "weeks", "http://unitsofmeasure.org", "wk"),
            },
            new FhirImmunization
            {
                Id = "i", Status = "completed", Patient = OmopFixture.Ref("Patient/p1"), VaccineCode = OmopFixture.Code("http://hl7.org/fhir/sid/cvx", "140"),
                Occurrence = OmopFixture.At(2020, 1, 4), LotNumber = "LOT-123",
            },
        ];

        OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, resources);

        var rows = OmopFixture.ReadRows(temp.File("drug_exposure.csv")).ToDictionary(r => r["drug_exposure_start_date"]);
        Assert.Equal(("10", "meq"), (rows["2020-01-02"]["quantity"], rows["2020-01-02"]["dose_unit_source_value"]));
        Assert.Equal(("28", "2020-01-30"), (rows["2020-01-03"]["days_supply"], rows["2020-01-03"]["drug_exposure_end_date"]));
        Assert.Equal("LOT-123", rows["2020-01-04"]["lot_number"]);
    }

    [Fact]
    public void Add_OnsetAndPerformedAsAnAge_AreDatedFromTheBirthDate_AsMedsDoes()
    {
        // The MEDS mapping places an onsetAge or performedAge at birthDate + age; the export did not date them (no row).
        using var temp = new TempDirectory();
        static FhirQuantity Age(double value) => new(value, "a", "http://unitsofmeasure.org", "a");
        FhirResource[] resources =
        [
            OmopFixture.Patient(),
            new FhirCondition { Id = "c", Subject = OmopFixture.Ref("Patient/p1"), Code = OmopFixture.Code(OmopFixture.Snomed, "44054006"), OnsetAge = Age(52) },
            new FhirProcedure { Id = "x", Status = "completed", Subject = OmopFixture.Ref("Patient/p1"), Code = OmopFixture.Code(OmopFixture.Snomed, "80146002"), PerformedAge = Age(14) },
        ];

        var issues = OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, resources);

        Assert.DoesNotContain(issues, i => i.Code == OmopIssueCodes.NoDate);
        Assert.Equal("2012-04-02", OmopFixture.ReadRows(temp.File("condition_occurrence.csv")).Single()["condition_start_date"]);
        Assert.Equal("1974-04-02", OmopFixture.ReadRows(temp.File("procedure_occurrence.csv")).Single()["procedure_date"]);
    }

    [Fact]
    public void Add_LongTexts_TruncatedToDdlSizes()
    {
        using var temp = new TempDirectory();
        var text = new string('x', 100);
        FhirResource[] resources =
        [
            new FhirObservation
            {
                Id = "s", Status = "final", Subject = OmopFixture.Ref("Patient/p1"), Code = OmopFixture.Code(OmopFixture.Loinc, text),
                Categories = [OmopFixture.Code("http://terminology.hl7.org/CodeSystem/observation-category", "survey")],
                Effective = OmopFixture.At(2020, 1, 1), Value = new FhirValue(FhirValueKind.String) { Text = text + ",\"quoted\"" },
            },
        ];

        OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, resources);

        var row = Single(temp, "observation");
        Assert.Equal(60, row[7].Length);
        Assert.Equal(50, row[14].Length);
    }

    [Fact]
    public void Complete_SameInputTwice_ByteIdenticalFiles()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        OmopFixture.Export(new OmopExporterSettings(first.Path), OmopFixture.Resources());
        OmopFixture.Export(new OmopExporterSettings(second.Path), OmopFixture.Resources());

        var files = Directory.GetFiles(first.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(20, files.Count);
        foreach (var file in files)
            Assert.Equal(File.ReadAllBytes(first.File(file!)), File.ReadAllBytes(second.File(file!)));
    }

    [Fact]
    public void Constructor_NoFormat_Throws()
    {
        using var temp = new TempDirectory();
        Assert.Throws<ArgumentException>(() => new OmopExporter(new OmopExporterSettings(temp.Path) { WriteCsv = false, WriteParquet = false }));
    }

    private static string[] Single(TempDirectory temp, string table) =>
        Assert.Single(OmopFixture.ReadCsv(temp.File(table + ".csv")).Rows);
}
