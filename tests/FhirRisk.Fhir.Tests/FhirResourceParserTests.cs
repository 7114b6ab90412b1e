using System.Text;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Tests;

public sealed class FhirResourceParserTests
{
    private static FhirParseResult Parse(string json, string type = "Observation") =>
        FhirResourceParser.Parse(new FhirResourceEnvelope(type, "in.ndjson", "Bundle.entry[3].resource", null, "scope", Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Parse_WrongElementTypes_KeepsResourceWithIssuesAtInstancePaths()
    {
        var result = Parse("""
            {"resourceType":"Observation","id":"o1","status":5,"code":"x","subject":{"reference":"Patient/1"},
             "effectiveDateTime":"2023-02-03T04:05:06+01:00","valueQuantity":{"value":1.5,"unit":"mg/dL"}}
            """);

        Assert.Equal(FhirParseOutcome.Parsed, result.Outcome);
        var observation = Assert.IsType<FhirObservation>(result.Resource);
        Assert.Null(observation.Status);
        Assert.Null(observation.Code);
        Assert.Equal("Patient/1", observation.Subject!.Reference);
        Assert.Equal(new DateTime(2023, 2, 3, 3, 5, 6, DateTimeKind.Utc), observation.Effective!.Value.Utc);
        Assert.Equal(1.5, observation.Value!.Quantity!.Value);
        Assert.Equal([FhirIssueCodes.WrongElementType, FhirIssueCodes.WrongElementType], result.Issues.Select(i => i.Code));
        Assert.Equal(["in.ndjson:Bundle.entry[3].resource.status", "in.ndjson:Bundle.entry[3].resource.code"], result.Issues.Select(i => i.Path));
    }

    [Fact]
    public void Parse_MedicationStatementWithOnlyDateAsserted_StartsThen_AndAnEffectiveWins()
    {
        // MIMIC-IV-ED's statements carry dateAsserted only; a statement with effective[x] keeps it, and its dateAsserted is
        // not read (an invalid one raises no issue), as whenPrepared is not read beside whenHandedOver.
        var asserted = Parse("""
            {"resourceType":"MedicationStatement","status":"active","subject":{"reference":"Patient/1"},
             "medicationCodeableConcept":{"text":"x"},"dateAsserted":"2023-03-04T05:06:07Z"}
            """, "MedicationStatement");
        var effective = Parse("""
            {"resourceType":"MedicationStatement","status":"active","subject":{"reference":"Patient/1"},
             "medicationCodeableConcept":{"text":"x"},"effectiveDateTime":"2023-01-01T00:00:00Z","dateAsserted":"not a date"}
            """, "MedicationStatement");

        Assert.Equal(new DateTime(2023, 3, 4, 5, 6, 7, DateTimeKind.Utc), Assert.IsType<FhirMedicationStatement>(asserted.Resource).Start!.Value.Utc);
        Assert.Equal(new DateTime(2023, 1, 1, 0, 0, 0, DateTimeKind.Utc), Assert.IsType<FhirMedicationStatement>(effective.Resource).Start!.Value.Utc);
        Assert.Empty(effective.Issues);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })] // invalid UTF-8 sequence
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'0', (byte)'0' })] // unpaired surrogate escape
    public void Parse_StringThatIsNotUtf8Text_FailsAsInvalidJsonInsteadOfThrowing(byte[] badString)
    {
        byte[] json = [.. "{\"resourceType\":\"Observation\",\"status\":\""u8, .. badString, .. "\"}"u8];

        var result = FhirResourceParser.Parse(new FhirResourceEnvelope("Observation", "in.ndjson", "line 1", null, "scope", json));

        Assert.Equal(FhirParseOutcome.Failed, result.Outcome);
        Assert.Equal(FhirIssueCodes.InvalidJson, Assert.Single(result.Issues).Code);
    }

    [Theory]
    [InlineData("1e308", 1e308, null)]
    [InlineData("1e400", null, FhirIssueCodes.InvalidNumber)]
    [InlineData("\"NaN\"", null, FhirIssueCodes.InvalidNumber)]
    [InlineData("-0.5", -0.5, null)]
    public void Parse_QuantityValue_AcceptsDoubleRangeOnly(string value, double? expected, string? code)
    {
        var result = Parse($$$"""{"resourceType":"Observation","valueQuantity":{"value":{{{value}}},"unit":"g"}}""");

        var observation = Assert.IsType<FhirObservation>(result.Resource);
        Assert.Equal(expected, observation.Value!.Quantity!.Value);
        Assert.Equal("g", observation.Value.Quantity.Unit);
        Assert.Equal(code, result.Issues.SingleOrDefault()?.Code);
        if (code is not null)
            Assert.Equal("in.ndjson:Bundle.entry[3].resource.valueQuantity.value", result.Issues[0].Path);
    }

    [Theory]
    [InlineData("2023", FhirDatePrecision.Year, "2023-01-01T00:00:00")]
    [InlineData("2023-02", FhirDatePrecision.Month, "2023-02-01T00:00:00")]
    [InlineData("2023-02-03T23:30:00-02:00", FhirDatePrecision.Second, "2023-02-04T01:30:00")]
    public void Parse_PartialDatesAndOffsets_NormalizeToUtc(string text, FhirDatePrecision precision, string utc)
    {
        var result = Parse($$"""{"resourceType":"Condition","onsetDateTime":"{{text}}","recordedDate":"2023-13-01"}""", "Condition");

        var condition = Assert.IsType<FhirCondition>(result.Resource);
        Assert.Equal(precision, condition.Onset!.Value.Precision);
        Assert.Equal(DateTime.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), condition.Onset.Value.Utc);
        Assert.Null(condition.RecordedDate);
        Assert.Equal(FhirIssueCodes.InvalidDate, Assert.Single(result.Issues).Code);
    }

    [Fact]
    public void Parse_TenThousandDeepNesting_FailsAsTooDeep()
    {
        var json = "{\"resourceType\":\"Observation\",\"x\":" + new string('[', 10_000) + new string(']', 10_000) + "}";

        var result = Parse(json);

        Assert.Equal(FhirParseOutcome.Failed, result.Outcome);
        Assert.Equal(FhirIssueCodes.NestingTooDeep, Assert.Single(result.Issues).Code);
    }

    [Theory]
    [InlineData("{\"resourceType\":\"Observation\",", FhirIssueCodes.InvalidJson)]
    [InlineData("[1]", FhirIssueCodes.ResourceNotObject)]
    [InlineData("{\"status\":\"final\"}", FhirIssueCodes.MissingResourceType)]
    public void Parse_UnusableJson_Fails(string json, string code)
    {
        var result = Parse(json);

        Assert.Equal(FhirParseOutcome.Failed, result.Outcome);
        Assert.Null(result.Resource);
        Assert.Equal(code, Assert.Single(result.Issues).Code);
    }

    [Fact]
    public void Parse_UnsupportedType_IsSkippedWithoutIssues()
    {
        var result = Parse("{\"resourceType\":\"Practitioner\",\"id\":\"x\"}", "Practitioner");

        Assert.Equal(FhirParseOutcome.Skipped, result.Outcome);
        Assert.Empty(result.Issues);
    }

    [Fact]
    public void Parse_ObservationComponentsAndValueKinds_AreAllRead()
    {
        var result = Parse("""
            {"resourceType":"Observation","meta":{"profile":["http://p"]},"identifier":[{"system":"s","value":"v"}],
             "effectivePeriod":{"start":"2023-01-01","end":"2023-01-02"},"valueFoo":1,
             "referenceRange":[{"low":{"value":1},"high":{"value":2}}],
             "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120}},
                          {"code":{"text":"t"},"valueCodeableConcept":{"text":"pos"}},{"valueRange":{"low":{"value":3}}},
                          {"valueRatio":{"numerator":{"value":1},"denominator":{"value":4}}},{"valueInteger":7},
                          {"valueBoolean":true},{"valueTime":"10:00:00"},{"valueSampledData":{}},{"valueString":"s"}]}
            """);

        var o = Assert.IsType<FhirObservation>(result.Resource);
        Assert.Equal(["http://p"], o.Profiles);
        Assert.Equal("v", Assert.Single(o.Identifiers).Value);
        Assert.Equal(new DateTime(2023, 1, 2, 0, 0, 0, DateTimeKind.Utc), o.EffectiveEnd!.Value.Utc);
        Assert.Equal(FhirValueKind.Other, o.Value!.Kind);
        Assert.Equal(FhirIssueCodes.UnsupportedValueType, Assert.Single(result.Issues).Code);
        Assert.Equal((1.0, 2.0), (o.ReferenceLow!.Value, o.ReferenceHigh!.Value));
        Assert.Equal([FhirValueKind.Quantity, FhirValueKind.CodeableConcept, FhirValueKind.Range, FhirValueKind.Ratio,
            FhirValueKind.Integer, FhirValueKind.Boolean, FhirValueKind.Time, FhirValueKind.Other, FhirValueKind.String],
            o.Components.Select(c => c.Value!.Kind));
        Assert.Equal("8480-6", o.Components[0].Code!.Codings[0].Code);
        Assert.Equal(4.0, o.Components[3].Value!.Denominator!.Value);
        Assert.Equal(7.0, o.Components[4].Value!.Number);
    }

    [Fact]
    public void Parse_PatientUsCoreExtensions_AreFlattened()
    {
        var result = Parse("""
            {"resourceType":"Patient","gender":"female","birthDate":"1970-05","deceasedDateTime":"2020-01-01T00:00:00Z",
             "extension":[{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race","extension":[
               {"url":"ombCategory","valueCoding":{"system":"urn:oid:2.16.840.1.113883.6.238","code":"2106-3","display":"White"}},
               {"url":"detailed","valueCoding":{"system":"urn:oid:2.16.840.1.113883.6.238","code":"2108-9"}},
               {"url":"text","valueString":"White"}]},
              {"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex","valueCode":"F"}]}
            """, "Patient");

        var patient = Assert.IsType<FhirPatient>(result.Resource);
        Assert.Empty(result.Issues);
        Assert.True(patient.DeceasedBoolean);
        Assert.Equal(FhirDatePrecision.Month, patient.BirthDate!.Value.Precision);
        var race = patient.Extensions[0];
        Assert.Equal(["2106-3", "2108-9"], race.ValueCodings.Select(c => c.Code));
        Assert.Equal("White", race.ValueText);
        Assert.Equal("F", patient.Extensions[1].ValueText);
    }

    [Fact]
    public void Parse_MedicationRequestWithContainedMedication_FillsEventMembers()
    {
        var result = Parse("""
            {"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/1"},
             "contained":[{"resourceType":"Medication","id":"m","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"860975"}]}},
                          {"resourceType":"Practitioner","id":"x"}],
             "medicationReference":{"reference":"#m"},"authoredOn":"2023-01-05",
             "dosageInstruction":[{"text":"1 tab","route":{"text":"oral"},"doseAndRate":[{"doseQuantity":{"value":1,"unit":"tab"}}]}],
             "dispenseRequest":{"numberOfRepeatsAllowed":2,"quantity":{"value":30},"validityPeriod":{"end":"2023-02-05"},
                               "expectedSupplyDuration":{"value":30,"unit":"days","system":"http://unitsofmeasure.org","code":"d"}}}
            """, "MedicationRequest");

        var request = Assert.IsType<FhirMedicationRequest>(result.Resource);
        Assert.Empty(result.Issues);
        var medication = Assert.IsType<FhirMedication>(Assert.Single(request.Contained));
        Assert.Equal("860975", medication.Code!.Codings[0].Code);
        Assert.Equal("#m", request.Medication!.Reference!.Reference);
        Assert.Equal((1.0, "1 tab", "oral", 2, 30.0), (request.Dose!.Value, request.DosageText, request.Route!.Text, request.Refills, request.DispenseQuantity!.Value));
        Assert.Equal(new DateTime(2023, 2, 5, 0, 0, 0, DateTimeKind.Utc), request.End!.Value.Utc);
        Assert.Equal((30.0, "d"), (request.ExpectedSupplyDuration!.Value, request.ExpectedSupplyDuration.Code));
    }

    [Fact]
    public void Parse_MedicationRequestWithoutAuthoredOn_StartsAtItsValidityPeriodsStart()
    {
        // It was dated at the validity period's end, a year after the order was written.
        var result = Parse("""
            {"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/1"},
             "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"197361"}]},
             "dispenseRequest":{"validityPeriod":{"start":"2020-04-03T08:00:00Z","end":"2021-04-03T08:00:00Z"}}}
            """, "MedicationRequest");

        var request = Assert.IsType<FhirMedicationRequest>(result.Resource);
        Assert.Equal(new DateTime(2020, 4, 3, 8, 0, 0, DateTimeKind.Utc), request.Start!.Value.Utc);
        Assert.Equal(new DateTime(2021, 4, 3, 8, 0, 0, DateTimeKind.Utc), request.End!.Value.Utc);
    }

    [Fact]
    public void Parse_ImmunizationOccurrenceString_KeepsResourceWithIssue()
    {
        var result = Parse("""{"resourceType":"Immunization","status":"completed","occurrenceString":"last spring","patient":{"reference":"Patient/1"},"lotNumber":"LOT-123"}""", "Immunization");

        var immunization = Assert.IsType<FhirImmunization>(result.Resource);
        Assert.Null(immunization.Occurrence);
        Assert.Equal("LOT-123", immunization.LotNumber);
        Assert.Equal("Patient/1", immunization.Patient!.Reference);
        Assert.Equal(FhirIssueCodes.OccurrenceString, Assert.Single(result.Issues).Code);
    }

    [Fact]
    public void Parse_EncounterHospitalizationAndLocations_AreRead()
    {
        var result = Parse("""
            {"resourceType":"Encounter","class":{"code":"IMP"},"partOf":{"reference":"Encounter/h"},
             "hospitalization":{"dischargeDisposition":{"coding":[{"code":"DIED"}]},"admitSource":{"text":"ER"}},
             "location":[{"location":{"reference":"Location/icu"},"period":{"start":"2023-01-01T00:00:00Z"}}],
             "period":{"start":"2023-01-01T00:00:00Z","end":"2023-01-03"}}
            """, "Encounter");

        var encounter = Assert.IsType<FhirEncounter>(result.Resource);
        Assert.Equal("IMP", encounter.Class!.Code);
        Assert.Equal("DIED", encounter.DischargeDisposition!.Codings[0].Code);
        Assert.Equal("ER", encounter.AdmitSource!.Text);
        Assert.Equal("Location/icu", Assert.Single(encounter.Locations).Location.Reference);
        Assert.Equal(FhirDatePrecision.Day, encounter.Period!.End!.Value.Precision);
    }

    [Fact]
    public void Parse_PeriodEndingBeforeItStarts_KeepsTheStartAndReportsTheEnd()
    {
        // R4 per-1. An Encounter so written gave a discharge before its admission, silently (review s21-fhir L3).
        var result = Parse("""{"resourceType":"Encounter","class":{"code":"IMP"},"period":{"start":"2020-03-09T14:00:00Z","end":"2020-03-05T10:00:00Z"}}""", "Encounter");

        var encounter = Assert.IsType<FhirEncounter>(result.Resource);
        Assert.Equal(new DateTime(2020, 3, 9, 14, 0, 0), encounter.Period!.Start!.Value.Utc);
        Assert.Null(encounter.Period.End);
        Assert.Equal(FhirIssueCodes.InvalidDate, Assert.Single(result.Issues).Code);
        // The same day written as a date ends after the time that day: a valid period.
        var sameDay = Parse("""{"resourceType":"Encounter","class":{"code":"IMP"},"period":{"start":"2020-03-05T14:00:00Z","end":"2020-03-05"}}""", "Encounter");
        Assert.NotNull(Assert.IsType<FhirEncounter>(sameDay.Resource).Period!.End);
        Assert.Empty(sameDay.Issues);
    }

    [Fact]
    public void Parse_RepeatedProperty_LastOccurrenceWinsWithItsIssuesOnly()
    {
        var result = Parse("""{"resourceType":"Observation","status":5,"valueQuantity":{"value":"NaN"},"status":"final","valueQuantity":{"value":2}}""");

        var observation = Assert.IsType<FhirObservation>(result.Resource);
        Assert.Equal("final", observation.Status);
        Assert.Equal(2.0, observation.Value!.Quantity!.Value);
        Assert.Empty(result.Issues);
    }

    [Fact]
    public void Parse_ContainedResourceTypeAfterOtherProperties_IsReadAsThatType()
    {
        var result = Parse("""
            {"resourceType":"MedicationRequest","contained":[{"id":"m","code":{"text":"tab"},"resourceType":"Medication"},
             {"id":"p","resourceType":"Practitioner"}],"medicationReference":{"reference":"#m"}}
            """, "MedicationRequest");

        var medication = Assert.IsType<FhirMedication>(Assert.Single(result.Resource!.Contained));
        Assert.Equal(("m", "tab"), (medication.Id, medication.Code!.Text));
    }

    [Fact]
    public void Parse_IssuesInSeveralElements_ComeInReadOrderNotDocumentOrder()
    {
        var result = Parse("""{"resourceType":"Observation","subject":[],"code":{"coding":[{"code":1,"system":2}]},"status":{}}""");

        Assert.Equal(["status", "subject", "code.coding[0].system", "code.coding[0].code"],
            result.Issues.Select(i => i.Path["in.ndjson:Bundle.entry[3].resource.".Length..]));
        Assert.All(result.Issues, i => Assert.Equal(FhirIssueCodes.WrongElementType, i.Code));
    }
}
