using FhirRisk.Core;
using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;
using static FhirRisk.Meds.Tests.FhirMapping.MappingFixture;

namespace FhirRisk.Meds.Tests.FhirMapping;

/// <summary>Condition, Procedure, Immunization, DiagnosticReport and AllergyIntolerance rules.</summary>
public sealed class ClinicalMapperTests
{
    private const string Icd10 = "http://hl7.org/fhir/sid/icd-10-cm";
    private const string Category = "http://terminology.hl7.org/CodeSystem/condition-category";

    private static MappingFixture WithEncounter() => new MappingFixture().WithPatient().Add(new FhirEncounter
    {
        Id = "e1",
        Class = new FhirCoding(null, "IMP"),
        Subject = Ref("Patient/p1"),
        Period = new FhirPeriod(At(2020, 1, 1, 8), At(2020, 1, 5, 12)),
    });

    private static FhirCondition Condition(string category) => new()
    {
        Id = "c1",
        Subject = Ref("Patient/p1"),
        Encounter = Ref("Encounter/e1"),
        Code = Concept(Icd10, "E11.9"),
        Categories = [Concept(Category, category)],
        RecordedDate = At(2020, 1, 2, 9),
        Onset = Day(2019, 6, 1),
    };

    [Fact]
    public void Condition_EncounterDiagnosis_TimedAtDischarge()
    {
        var fixture = WithEncounter();
        var diagnosis = Assert.Single(fixture.Map(Condition("encounter-diagnosis")));
        Assert.Equal("ICD10CM//E11.9", diagnosis.Code);
        Assert.Equal(new DateTime(2020, 1, 5, 12, 0, 0), diagnosis.Time);
        Assert.Equal(fixture.EncounterId("e1"), diagnosis.EncounterId);
    }

    [Fact]
    public void Condition_EncounterDiagnosisUnknownEncounter_FallsBackToRecordedWithWarning()
    {
        var fixture = new MappingFixture().WithPatient();
        var diagnosis = Assert.Single(fixture.Map(Condition("encounter-diagnosis")));
        Assert.Equal(new DateTime(2020, 1, 2, 9, 0, 0), diagnosis.Time);
        Assert.Null(diagnosis.EncounterId);
        Assert.Equal([FhirMappingIssueCodes.UnresolvedEncounter], fixture.IssueCodes);
    }

    [Fact]
    public void Condition_ProblemListItem_TimedAtRecordedThenOnset()
    {
        var fixture = WithEncounter();
        Assert.Equal(new DateTime(2020, 1, 2, 9, 0, 0), Assert.Single(fixture.Map(Condition("problem-list-item"))).Time);
        var withoutRecorded = Condition("problem-list-item") with { RecordedDate = null };
        // A date-only onset is known at that day's end (MappingContext.Known), not at its midnight.
        Assert.Equal(new DateTime(2019, 6, 2).AddTicks(-10), Assert.Single(fixture.Map(withoutRecorded)).Time);
    }

    [Theory]
    [InlineData("refuted")]
    [InlineData("entered-in-error")]
    public void Condition_DroppedVerification_NoEvent(string verification)
    {
        var fixture = WithEncounter();
        var condition = Condition("problem-list-item") with { VerificationStatus = Concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", verification) };
        Assert.Empty(fixture.Map(condition));
        Assert.Equal([FhirMappingIssueCodes.StatusDropped], fixture.IssueCodes);
    }

    [Fact]
    public void Condition_NoTimeAtAll_ReportsNoTime()
    {
        var fixture = new MappingFixture().WithPatient();
        var condition = Condition("problem-list-item") with { RecordedDate = null, Onset = null, Encounter = null };
        Assert.Empty(fixture.Map(condition));
        Assert.Equal([FhirMappingIssueCodes.NoTime], fixture.IssueCodes);
    }

    [Fact]
    public void Condition_MissingSubject_ReportsError()
    {
        var fixture = WithEncounter();
        Assert.Empty(fixture.Map(Condition("problem-list-item") with { Subject = null }));
        Assert.Equal([FhirMappingIssueCodes.MissingSubject], fixture.IssueCodes);
    }

    [Fact]
    public void Condition_SubjectNeverSeen_KeepsHashedIdWithWarning()
    {
        var fixture = WithEncounter();
        var condition = Condition("problem-list-item") with { Subject = Ref("Patient/ghost") };
        Assert.Equal(fixture.SubjectId("ghost"), Assert.Single(fixture.Map(condition)).SubjectId);
        Assert.Equal([FhirMappingIssueCodes.UnresolvedSubject], fixture.IssueCodes);
    }

    [Fact]
    public void Procedure_Completed_EventAtPerformed_NotDoneAndPreparationDropped()
    {
        var fixture = WithEncounter();
        var procedure = new FhirProcedure
        {
            Status = "completed",
            Subject = Ref("Patient/p1"),
            Code = Concept("http://snomed.info/sct", "80146002"),
            Performed = At(2020, 1, 3, 10),
        };
        var done = Assert.Single(fixture.Map(procedure));
        Assert.Equal(("SNOMED//80146002", new DateTime(2020, 1, 3, 10, 0, 0)), (done.Code, done.Time!.Value));
        Assert.Empty(fixture.Map(procedure with { Status = "not-done" }));
        // Scheduled, not started: a planned operation must not become the record's last event (the prediction point).
        Assert.Empty(fixture.Map(procedure with { Status = "preparation" }));
        Assert.Single(fixture.Map(procedure with { Status = "in-progress" }));
    }

    [Theory]
    // Charted by date at local midnight (MIMIC-IV: "2020-01-01T00:00:00-04:00"), the day the stay began at 08:00 local:
    // the day's end, after the admission.
    [InlineData("2020-01-01T00:00:00-04:00", "2020-01-02T03:59:59.999999")]
    // A date alone: the day's end.
    [InlineData("2020-01-03", "2020-01-03T23:59:59.999999")]
    // The discharge day (discharge 12:00 UTC): no later than the discharge.
    [InlineData("2020-01-05T00:00:00Z", "2020-01-05T12:00:00")]
    // A real time, even a minute after midnight, stays where it is.
    [InlineData("2020-01-02T00:01:00Z", "2020-01-02T00:01:00")]
    public void Procedure_RecordedByDate_AtTheDaysEndWithinItsEncounter(string performed, string expected)
    {
        Assert.True(Fhir.FhirDates.TryParse(performed, out var time));
        var fixture = WithEncounter();
        var procedure = new FhirProcedure
        {
            Status = "completed",
            Subject = Ref("Patient/p1"),
            Encounter = Ref("Encounter/e1"),
            Code = Concept("http://snomed.info/sct", "80146002"),
            Performed = time,
        };

        var placed = Assert.Single(fixture.Map(procedure)).Time!.Value;

        Assert.Equal(DateTime.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), placed, TimeSpan.FromMilliseconds(1));
    }

    [Theory]
    // An ICU procedure charted to the minute from local midnight (MIMIC-IV procedureevents: 23 of 1,468 start so): timed,
    // not recorded by date; it was moved 24 h later, past its own end.
    [InlineData("2020-01-02T00:00:00-05:00", "2020-01-02T00:01:00-05:00", "2020-01-02T05:00:00")]
    // A date-only period: the day's end, but never after its own end.
    [InlineData("2020-01-03", "2020-01-03T09:00:00Z", "2020-01-03T09:00:00")]
    public void Procedure_PeriodFromMidnight_IsPlacedNoLaterThanItsOwnEnd(string start, string end, string expected)
    {
        Assert.True(Fhir.FhirDates.TryParse(start, out var from));
        Assert.True(Fhir.FhirDates.TryParse(end, out var to));
        var fixture = WithEncounter();
        var procedure = new FhirProcedure
        {
            Status = "completed",
            Subject = Ref("Patient/p1"),
            Encounter = Ref("Encounter/e1"),
            Code = Concept("http://snomed.info/sct", "399208008"),
            Performed = from,
            PerformedEnd = to,
        };

        var placed = Assert.Single(fixture.Map(procedure)).Time!.Value;

        Assert.Equal(DateTime.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), placed, TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public void Immunization_CvxPreferred_NotDoneDropped()
    {
        var fixture = new MappingFixture().WithPatient();
        var immunization = new FhirImmunization
        {
            Status = "completed",
            Patient = Ref("Patient/p1"),
            VaccineCode = new FhirCodeableConcept([new FhirCoding("http://snomed.info/sct", "1"), new FhirCoding("http://hl7.org/fhir/sid/cvx", "140")]),
            Occurrence = Day(2021, 10, 1),
        };
        Assert.Equal("CVX//140", Assert.Single(fixture.Map(immunization)).Code);
        Assert.Empty(fixture.Map(immunization with { Status = "not-done" }));
    }

    [Fact]
    public void OnsetAndPerformedAsAnAge_ArePlacedFromTheBirthDate()
    {
        // Review s15-fhir #15: an onsetAge (R4 onset[x] = Age) gave no event, and the issue named recordedDate.
        var fixture = new MappingFixture().Add(new FhirPatient { Id = "p1", Gender = "female", BirthDate = Day(1950, 3, 4) });
        static FhirQuantity Age(double value, string code) => new(value, code, "http://unitsofmeasure.org", code);
        var condition = new FhirCondition
        {
            Subject = Ref("Patient/p1"), Code = Concept(Icd10, "C34.90"),
            Categories = [Concept(Category, "problem-list-item")], OnsetAge = Age(52, "a"),
        };
        Assert.Equal(new DateTime(2002, 3, 4), Assert.Single(fixture.Map(condition)).Time);
        Assert.Equal(new DateTime(1950, 9, 4), Assert.Single(fixture.Map(condition with { OnsetAge = Age(6, "mo") })).Time);
        var allergy = new FhirAllergyIntolerance { Patient = Ref("Patient/p1"), Code = Concept("http://snomed.info/sct", "91936005"), OnsetAge = Age(10, "a") };
        Assert.Equal(new DateTime(1960, 3, 4), Assert.Single(fixture.Map(allergy)).Time);
        var procedure = new FhirProcedure { Status = "completed", Subject = Ref("Patient/p1"), Code = Concept("http://snomed.info/sct", "80146002"), PerformedAge = Age(14, "d") };
        Assert.Equal(new DateTime(1950, 3, 18).AddDays(1).AddTicks(-10), Assert.Single(fixture.Map(procedure)).Time); // by date: the day's end
        Assert.Empty(fixture.Issues);

        // No usable age (not a time unit, negative) or no birth date: no event, and the issue says what was looked for.
        Assert.Empty(fixture.Map(condition with { OnsetAge = Age(52, "kg") }));
        Assert.Empty(fixture.Map(condition with { OnsetAge = Age(-1, "a") }));
        Assert.Empty(new MappingFixture().WithPatient().Map(condition));
        Assert.Equal(2, fixture.Issues.Count);
        Assert.All(fixture.Issues, i => Assert.Equal(FhirMappingIssueCodes.NoTime, i.Code));
        Assert.All(fixture.Issues, i => Assert.Contains("an Age with the Patient's birthDate", i.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void DiagnosticReport_WithResults_OnlyConclusionCodes()
    {
        var fixture = new MappingFixture().WithPatient();
        var report = new FhirDiagnosticReport
        {
            Status = "final",
            Subject = Ref("Patient/p1"),
            Code = Concept("http://loinc.org", "58410-2"),
            Effective = At(2020, 2, 2, 2),
            Results = [Ref("Observation/o1")],
        };
        Assert.Empty(fixture.Map(report));
        var withConclusion = report with { ConclusionCodes = [Concept("http://snomed.info/sct", "271737000")] };
        Assert.Equal("SNOMED//271737000", Assert.Single(fixture.Map(withConclusion)).Code);
        Assert.Equal("LOINC//58410-2", Assert.Single(fixture.Map(report with { Results = [] })).Code);
        // The report without a conclusion adds no event, and says so (information, not a problem): no resource is left
        // out without an event or an issue.
        var issue = Assert.Single(fixture.Issues);
        Assert.Equal((FhirMappingIssueCodes.ReportCarriedByResults, IssueSeverity.Information), (issue.Code, issue.Severity));
    }

    [Fact]
    public void DiagnosticReport_Registered_NothingYet_NoEvent()
    {
        // Registered: the report exists, nothing of it is available (review s21-fhir L2: its code made an event).
        var fixture = new MappingFixture().WithPatient();
        var report = new FhirDiagnosticReport { Status = "registered", Subject = Ref("Patient/p1"), Code = Concept("http://loinc.org", "58410-2"), Effective = At(2020, 2, 2, 2) };
        Assert.Empty(fixture.Map(report));
        Assert.Equal([FhirMappingIssueCodes.StatusDropped], fixture.Issues.Select(i => i.Code));
        Assert.Single(fixture.Map(report with { Status = "preliminary" }));
    }

    [Fact]
    public void AllergyIntolerance_PrefixedCode_RefutedDropped()
    {
        var fixture = new MappingFixture().WithPatient();
        var allergy = new FhirAllergyIntolerance
        {
            Patient = Ref("Patient/p1"),
            Code = Concept("http://snomed.info/sct", "91936005"),
            RecordedDate = Day(2015, 1, 1),
        };
        Assert.Equal("ALLERGY//SNOMED//91936005", Assert.Single(fixture.Map(allergy)).Code);
        var refuted = allergy with { VerificationStatus = Concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "refuted") };
        Assert.Empty(fixture.Map(refuted));
    }

    [Fact]
    public void AllergyIntolerance_IsTimedWhenRecorded_ThenAtOnset()
    {
        // An allergy since 2004 first recorded in 2020 was not in the record before 2020 (review s21-fhir M3).
        var fixture = new MappingFixture().WithPatient();
        var allergy = new FhirAllergyIntolerance
        {
            Patient = Ref("Patient/p1"),
            Code = Concept("http://snomed.info/sct", "91936005"),
            Onset = new FhirDateTime(new DateTime(2004, 1, 1, 0, 0, 0, DateTimeKind.Utc), FhirDatePrecision.Year),
            RecordedDate = At(2020, 3, 6, 9),
        };
        Assert.Equal(new DateTime(2020, 3, 6, 9, 0, 0), Assert.Single(fixture.Map(allergy)).Time);
        Assert.Equal(new DateTime(2004, 1, 1), Assert.Single(fixture.Map(allergy with { RecordedDate = null })).Time);
    }

    [Fact]
    public void A_date_without_a_time_is_known_at_its_days_end_or_its_encounters_end_that_day()
    {
        // Review s21-fhir M2: a result, a diagnosis or an order charted by date sat at midnight, before that day's
        // admission at 08:00, where the admission's prompt read it.
        var fixture = WithEncounter(); // an inpatient stay 2020-01-01 08:00 to 2020-01-05 12:00
        var observation = new FhirObservation
        {
            Status = "final", Subject = Ref("Patient/p1"), Encounter = Ref("Encounter/e1"), Code = Concept("http://loinc.org", "2160-0"),
            Effective = Day(2020, 1, 1),
        };
        var immunization = new FhirImmunization { Status = "completed", Patient = Ref("Patient/p1"), VaccineCode = Concept("http://hl7.org/fhir/sid/cvx", "140"), Occurrence = Day(2019, 10, 1) };
        var order = new FhirMedicationRequest { Status = "active", Subject = Ref("Patient/p1"), Encounter = Ref("Encounter/e1"), Medication = new FhirMedicationChoice(Concept("http://www.nlm.nih.gov/research/umls/rxnorm", "197361"), null), Start = Day(2020, 1, 5) };

        Assert.Equal(new DateTime(2020, 1, 2).AddTicks(-10), Assert.Single(fixture.Map(observation)).Time);
        Assert.Equal(new DateTime(2019, 10, 2).AddTicks(-10), Assert.Single(fixture.Map(immunization)).Time);
        // The discharge day: at the discharge, not after it.
        Assert.Equal(new DateTime(2020, 1, 5, 12, 0, 0), Assert.Single(fixture.Map(order)).Time);
        // A time, even midnight, is as written; a year or a month at its start.
        Assert.Equal(new DateTime(2020, 1, 1), Assert.Single(fixture.Map(observation with { Effective = At(2020, 1, 1, 0) })).Time);
    }

    [Fact]
    public void Immunization_CvxRanksFirstAmongVaccineCodings()
    {
        // Review s21-fhir L5: the documented "CVX first" lost to the global priority, which puts RxNorm first.
        var fixture = new MappingFixture().WithPatient();
        var immunization = new FhirImmunization
        {
            Status = "completed", Patient = Ref("Patient/p1"), Occurrence = At(2020, 1, 1, 9),
            VaccineCode = new FhirCodeableConcept([new FhirCoding("http://www.nlm.nih.gov/research/umls/rxnorm", "798279"), new FhirCoding("http://hl7.org/fhir/sid/cvx", "140")]),
        };
        Assert.Equal("CVX//140", Assert.Single(fixture.Map(immunization)).Code);
        var rxnormOnly = immunization with { VaccineCode = new FhirCodeableConcept([new FhirCoding("http://www.nlm.nih.gov/research/umls/rxnorm", "798279")]) };
        Assert.Equal("RXNORM//798279", Assert.Single(fixture.Map(rxnormOnly)).Code);
    }

    [Fact]
    public void A_live_records_date_of_today_is_placed_no_later_than_its_reading()
    {
        // Review s21-changes M2: at the day's end, today's date-only result put the prediction point in the evening ahead.
        var now = new DateTime(2026, 12, 7, 10, 30, 0, DateTimeKind.Utc);
        var live = new MappingFixture(new FhirMappingSettings { Source = "test", ReadAt = now }).WithPatient();
        var observation = new FhirObservation { Status = "final", Subject = Ref("Patient/p1"), Code = Concept("http://loinc.org", "2160-0"), Effective = Day(2026, 12, 7) };
        var procedure = new FhirProcedure { Status = "completed", Subject = Ref("Patient/p1"), Code = Concept("http://snomed.info/sct", "80146002"), Performed = Day(2026, 12, 7) };

        Assert.Equal(now, Assert.Single(live.Map(observation)).Time);
        Assert.Equal(now, Assert.Single(live.Map(procedure)).Time);
        // A day before, its end; a day ahead (a planned or mistyped date), its start: still after the reading.
        Assert.Equal(new DateTime(2026, 12, 7).AddTicks(-10), Assert.Single(live.Map(observation with { Effective = Day(2026, 12, 6) })).Time);
        Assert.Equal(new DateTime(2026, 12, 8), Assert.Single(live.Map(observation with { Effective = Day(2026, 12, 8) })).Time);
        // A finished export has no reading: the day's end.
        Assert.Equal(new DateTime(2026, 12, 8).AddTicks(-10), Assert.Single(new MappingFixture().WithPatient().Map(observation)).Time);
    }

    [Fact]
    public void A_live_records_end_of_today_is_no_later_than_its_reading()
    {
        // Review s21-fixes M1: an encounter ending today (a date), its encounter diagnoses and a date-only death of today
        // still sat at tonight's last instant.
        var now = new DateTime(2026, 12, 7, 10, 30, 0, DateTimeKind.Utc);
        var encounter = new FhirEncounter
        {
            Id = "e9", Status = "finished", Class = new FhirCoding(null, "IMP"), Subject = Ref("Patient/p1"),
            Period = new FhirPeriod(At(2026, 12, 1, 8), Day(2026, 12, 7)),
        };
        var live = new MappingFixture(new FhirMappingSettings { Source = "test", ReadAt = now }).WithPatient().Add(encounter);
        var diagnosis = Condition("encounter-diagnosis") with { Encounter = Ref("Encounter/e9") };

        Assert.Equal(now, live.Map(encounter).Single(e => e.Code.StartsWith("HOSPITAL_DISCHARGE//", StringComparison.Ordinal)).Time);
        Assert.Equal(now, Assert.Single(live.Map(diagnosis)).Time);
        Assert.Equal(now, Assert.Single(live.Map(new FhirPatient { Id = "p2", DeceasedDateTime = Day(2026, 12, 7) }), e => e.Code == "MEDS_DEATH").Time);
        // Without a reading, the day's end.
        var export = new MappingFixture().WithPatient().Add(encounter);
        Assert.Equal(new DateTime(2026, 12, 8).AddTicks(-10), export.Map(encounter).Single(e => e.Code.StartsWith("HOSPITAL_DISCHARGE//", StringComparison.Ordinal)).Time);
    }
}
