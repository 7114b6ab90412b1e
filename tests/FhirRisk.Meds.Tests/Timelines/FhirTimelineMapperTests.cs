using System.Globalization;
using System.Text;
using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Meds.FhirMapping;
using FhirRisk.Meds.Timelines;

namespace FhirRisk.Meds.Tests.Timelines;

/// <summary>
/// The in-memory timeline mapper the service uses: raw resource JSON of one patient in, MEDS events in MEDS order out,
/// with every problem as a coded issue (docs/formats/fhir-ingestion.md "FHIR → MEDS mapping").
/// </summary>
public sealed class FhirTimelineMapperTests
{
    private const string Scope = "timeline";
    private const string Patient = """{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-03-04"}""";
    private const string Subject = """ "subject":{"reference":"Patient/p1"} """;
    private const string Inpatient = """
        {"resourceType":"Encounter","id":"e1","status":"finished",
         "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/p1"},
         "period":{"start":"2020-01-01T08:00:00Z","end":"2020-01-05T12:00:00Z"},
         "hospitalization":{"dischargeDisposition":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/discharge-disposition","code":"home"}]}}}
        """;

    private static readonly FhirMappingSettings s_mapping = new();

    private static FhirTimeline Map(long? subjectId, params string[] resources) =>
        FhirTimelineMapper.Map([.. resources.Select(Envelope)], s_mapping, FhirReaderSettings.Default, subjectId);

    private static FhirTimeline Map(params string[] resources) => Map(null, resources);

    private static FhirResourceEnvelope Envelope(string json, int index) =>
        new(TypeOf(json), Scope, $"resource[{index}]", null, Scope, Encoding.UTF8.GetBytes(json));

    private static string TypeOf(string json) =>
        json.Split("\"resourceType\":\"") is [_, var rest, ..] ? rest[..rest.IndexOf('"', StringComparison.Ordinal)] : "";

    private static long SubjectOf(string patientId) => FhirResourceLinks.SubjectIdOf(patientId, s_mapping);

    private static string[] Rows(FhirTimeline timeline) =>
        [.. timeline.Events.Select(e => $"{e.Code}@{e.Time?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "static"}")];

    private static IEnumerable<string> Codes(FhirTimeline timeline) => timeline.Issues.Select(i => i.Code);

    [Fact]
    public void Dates_in_the_calendars_last_year_map_without_throwing()
    {
        // Valid R4, and "9999-12-31" is a legacy "no end" placeholder: the end of its day threw out of the mapping, so
        // one such resource failed a whole ingestion or every prediction of its patient (review s21-fhir H1).
        var timeline = Map(
            """{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-03-04","deceasedDateTime":"9999"}""",
            """
            {"resourceType":"Encounter","id":"e1","status":"finished",
             "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/p1"},
             "period":{"start":"2020-01-01T08:00:00Z","end":"9999-12-31"}}
            """,
            """{"resourceType":"Procedure","id":"pr1","status":"completed","code":{"coding":[{"system":"http://snomed.info/sct","code":"80146002"}]},"subject":{"reference":"Patient/p1"},"encounter":{"reference":"Encounter/e1"},"performedDateTime":"9999-12-31T00:00:00Z"}""");

        Assert.Contains("HOSPITAL_ADMISSION//IMP@2020-01-01 08:00", Rows(timeline));
        Assert.Contains(timeline.Events, e => e.Code.StartsWith("HOSPITAL_DISCHARGE//", StringComparison.Ordinal) && e.Time!.Value.Year == 9999);
        Assert.Contains(timeline.Events, e => e.Code == "SNOMED//80146002" && e.Time!.Value.Year == 9999);
    }

    [Fact]
    public void Resources_parsed_elsewhere_map_as_if_parsed_here_with_their_issues_named_by_the_mapping_envelopes()
    {
        // The service parses what a request supplies to check it, then maps that parse (service review s11 #4): the
        // events and issues must be those of parsing the mapping's own envelopes.
        string[] resources =
        [
            Patient, Inpatient,
            """{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2160-0"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2020-13-45","valueQuantity":{"value":"high","unit":"mg/dL"}}""",
            """{"resourceType":"Condition","id":"c1","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"I50.9"}]},"subject":{"reference":"Patient/p1"},"recordedDate":"2020-01-02T10:00:00"}""",
            """{"resourceType":"Claim","id":"x1"}""",
            """{"resourceType":"Observation","id":"o2",""",
        ];
        var envelopes = resources.Select(Envelope).ToArray();
        // Parsed first under other envelopes (a push entry's location), as the service's reader parses them.
        var elsewhere = resources.Select((json, i) => ParsedResource.Parse(new FhirResourceEnvelope(TypeOf(json), "push", $"Bundle.entry[{i}].resource", null, "push",
            envelopes[i].Json))).ToArray();

        var reparsed = FhirTimelineMapper.Map(envelopes, s_mapping, FhirReaderSettings.Default);
        var reused = FhirTimelineMapper.Map([.. elsewhere.Select((p, i) => p.As(envelopes[i]))], s_mapping);

        Assert.Contains(reparsed.Issues, i => i.Severity == IssueSeverity.Warning);
        Assert.Contains(reparsed.Issues, i => i.Path.StartsWith("timeline:resource[2].", StringComparison.Ordinal));
        Assert.Equal(reparsed.Events, reused.Events);
        Assert.Equal(reparsed.Issues, reused.Issues);
        Assert.Equal(reparsed.Subjects, reused.Subjects);
        Assert.Throws<ArgumentException>(() => elsewhere[0].As(envelopes[1]));
    }

    [Fact]
    public void A_patient_yields_static_rows_first_then_its_birth()
    {
        var timeline = Map(Patient);

        Assert.Equal(["GENDER//F@static", "MEDS_BIRTH@1950-03-04 00:00"], Rows(timeline));
        Assert.Equal([SubjectOf("p1")], timeline.Subjects);
        Assert.All(timeline.Events, e => Assert.Equal(SubjectOf("p1"), e.SubjectId));
        Assert.Empty(timeline.Issues);
    }

    [Fact]
    public void Each_clinical_resource_type_maps_to_its_code_in_time_order_linked_to_its_encounter()
    {
        var timeline = Map(
            $$"""{"resourceType":"Immunization","id":"i1","status":"completed","patient":{"reference":"Patient/p1"},"encounter":{"reference":"Encounter/e1"},"vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"140"}]},"occurrenceDateTime":"2020-01-04T10:00:00Z"}""",
            $$"""{"resourceType":"Procedure","id":"pr1","status":"completed",{{Subject}},"encounter":{"reference":"Encounter/e1"},"code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"99213"}]},"performedDateTime":"2020-01-03T09:00:00Z"}""",
            $$"""{"resourceType":"MedicationRequest","id":"m1","status":"active","intent":"order",{{Subject}},"encounter":{"reference":"Encounter/e1"},"medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"860975"}]},"authoredOn":"2020-01-02T11:00:00Z"}""",
            $$$"""{"resourceType":"Observation","id":"o1","status":"final",{{{Subject}}},"encounter":{"reference":"Encounter/e1"},"code":{"coding":[{"system":"http://loinc.org","code":"2160-0"}]},"effectiveDateTime":"2020-01-02T10:00:00Z","valueQuantity":{"value":1.25,"system":"http://unitsofmeasure.org","code":"mg/dL"}}""",
            $$"""{"resourceType":"Condition","id":"c1",{{Subject}},"encounter":{"reference":"Encounter/e1"},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"E11.9"}]},"recordedDate":"2020-01-02T09:00:00Z"}""",
            Inpatient,
            Patient);

        Assert.Equal(
        [
            "GENDER//F@static", "MEDS_BIRTH@1950-03-04 00:00", "HOSPITAL_ADMISSION//IMP@2020-01-01 08:00", "ICD10CM//E11.9@2020-01-02 09:00",
            "LOINC//2160-0//mg/dL@2020-01-02 10:00", "RXNORM//860975@2020-01-02 11:00", "CPT4//99213@2020-01-03 09:00",
            "CVX//140@2020-01-04 10:00", "HOSPITAL_DISCHARGE//home@2020-01-05 12:00",
        ], Rows(timeline));
        var encounterId = StableHash.Of63("fhir|Encounter/e1");
        Assert.All(timeline.Events.Where(e => e.Time is not null && e.Code != "MEDS_BIRTH"), e => Assert.Equal(encounterId, e.EncounterId));
        var observation = timeline.Events.Single(e => e.Code.StartsWith("LOINC", StringComparison.Ordinal));
        Assert.Equal(1.25f, observation.NumericValue);
        Assert.Equal("requested", timeline.Events.Single(e => e.Code.StartsWith("RXNORM", StringComparison.Ordinal)).TextValue);
        Assert.Empty(timeline.Issues);
    }

    [Fact]
    public void Reports_allergies_emergency_visits_and_icu_sub_encounters_with_their_location_map_too()
    {
        var timeline = Map(
            Patient,
            $$$"""{"resourceType":"DiagnosticReport","id":"r1","status":"final",{{{Subject}}},"code":{"coding":[{"system":"http://loinc.org","code":"24323-8"}]},"effectiveDateTime":"2020-01-06T09:00:00Z"}""",
            $$$"""{"resourceType":"AllergyIntolerance","id":"a1","patient":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"91936005"}]},"onsetDateTime":"2019-05-01T00:00:00Z"}""",
            $$$"""{"resourceType":"Encounter","id":"ed1","status":"finished","class":{"code":"EMER"},{{{Subject}}},"period":{"start":"2020-01-01T06:00:00Z","end":"2020-01-01T07:30:00Z"}}""",
            Inpatient,
            $$$"""{"resourceType":"Encounter","id":"icu1","status":"finished","class":{"code":"ACUTE"},{{{Subject}}},"partOf":{"reference":"Encounter/e1"},"location":[{"location":{"reference":"Location/L1"}}],"period":{"start":"2020-01-02T00:00:00Z","end":"2020-01-03T00:00:00Z"}}""",
            """{"resourceType":"Location","id":"L1","name":"Medical Intensive Care Unit (MICU)"}""");

        Assert.Equal(
        [
            "GENDER//F@static", "MEDS_BIRTH@1950-03-04 00:00", "ALLERGY//SNOMED//91936005@2019-05-01 00:00", "ED_REGISTRATION@2020-01-01 06:00",
            "ED_OUT@2020-01-01 07:30", "HOSPITAL_ADMISSION//IMP@2020-01-01 08:00", "ICU_ADMISSION//Medical Intensive Care Unit (MICU)@2020-01-02 00:00",
            "ICU_DISCHARGE@2020-01-03 00:00", "HOSPITAL_DISCHARGE//home@2020-01-05 12:00", "LOINC//24323-8@2020-01-06 09:00",
        ], Rows(timeline));
        Assert.Empty(timeline.Issues);
    }

    [Fact]
    public void Events_at_the_same_time_keep_their_input_order()
    {
        const string at = "\"effectiveDateTime\":\"2020-01-02T10:00:00Z\"";
        var timeline = Map(
            Patient,
            $$"""{"resourceType":"Observation","id":"o2","status":"final",{{Subject}},"code":{"coding":[{"system":"http://loinc.org","code":"718-7"}]},{{at}}}""",
            $$"""{"resourceType":"Observation","id":"o1","status":"final",{{Subject}},"code":{"coding":[{"system":"http://loinc.org","code":"2160-0"}]},{{at}}}""");

        Assert.Equal(["LOINC//718-7", "LOINC//2160-0"], timeline.Events.Where(e => e.Code.StartsWith("LOINC", StringComparison.Ordinal)).Select(e => e.Code));
    }

    [Fact]
    public void A_reference_to_an_encounter_or_medication_listed_later_resolves()
    {
        var timeline = Map(
            $$"""{"resourceType":"MedicationAdministration","id":"ma1","status":"completed",{{Subject}},"context":{"reference":"Encounter/e1"},"medicationReference":{"reference":"Medication/med1"},"effectiveDateTime":"2020-01-02T11:00:00Z"}""",
            Inpatient,
            """{"resourceType":"Medication","id":"med1","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"197361"}]}}""",
            Patient);

        var administered = timeline.Events.Single(e => e.Code == "RXNORM//197361");
        Assert.Equal("administered", administered.TextValue);
        Assert.Equal(StableHash.Of63("fhir|Encounter/e1"), administered.EncounterId);
        Assert.Empty(timeline.Issues);
    }

    [Fact]
    public void Resources_without_a_usable_time_yield_no_event_and_a_coded_issue()
    {
        var timeline = Map(
            Patient,
            $$$"""{"resourceType":"Observation","id":"o1","status":"final",{{{Subject}}},"code":{"coding":[{"system":"http://loinc.org","code":"2160-0"}]}}""",
            $$"""{"resourceType":"Encounter","id":"e2","status":"finished","class":{"code":"IMP"},{{Subject}}}""");

        Assert.Equal(["GENDER//F@static", "MEDS_BIRTH@1950-03-04 00:00"], Rows(timeline));
        Assert.Equal([FhirMappingIssueCodes.NoTime, FhirMappingIssueCodes.EncounterWithoutPeriod], Codes(timeline));
    }

    [Fact]
    public void A_code_of_an_unknown_system_keeps_its_system_and_a_resource_without_a_code_yields_an_issue()
    {
        var timeline = Map(
            Patient,
            $$"""{"resourceType":"Condition","id":"c1",{{Subject}},"code":{"coding":[{"system":"http://example.org/local-codes","code":"X-42"}]},"recordedDate":"2020-01-02"}""",
            $$"""{"resourceType":"Procedure","id":"pr1","status":"completed",{{Subject}},"code":{"text":"a procedure without codings"},"performedDateTime":"2020-01-03"}""");

        Assert.Contains("OTHER//http://example.org/local-codes//X-42@2020-01-02 23:59", Rows(timeline)); // a date: its day's end
        Assert.Equal([FhirMappingIssueCodes.NoUsableCode], Codes(timeline));
    }

    [Fact]
    public void Bad_references_are_coded_issues_and_a_resolvable_subject_still_places_the_event()
    {
        const string code = "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2160-0\"}]},\"effectiveDateTime\":\"2020-01-02T10:00:00Z\"";
        var timeline = Map(
            Patient,
            $$"""{"resourceType":"Observation","id":"o1","status":"final",{{code}}}""",
            $$"""{"resourceType":"Observation","id":"o2","status":"final","subject":{"reference":"Group/g1"},{{code}}}""",
            $$"""{"resourceType":"Observation","id":"o3","status":"final","subject":{"reference":"Patient/absent"},{{code}}}""",
            $$"""{"resourceType":"Observation","id":"o4","status":"final",{{Subject}},"encounter":{"reference":"Encounter/absent"},{{code}}}""");

        Assert.Equal(
            [FhirMappingIssueCodes.MissingSubject, FhirMappingIssueCodes.SubjectNotPatient, FhirMappingIssueCodes.UnresolvedSubject, FhirMappingIssueCodes.UnresolvedEncounter],
            Codes(timeline));
        Assert.Equal([SubjectOf("p1"), SubjectOf("absent")], timeline.Subjects.Order());
        var o4 = timeline.Events.Single(e => e.SubjectId == SubjectOf("p1") && e.Code == "LOINC//2160-0");
        Assert.Null(o4.EncounterId);
        Assert.Single(timeline.Events, e => e.SubjectId == SubjectOf("absent"));
    }

    [Fact]
    public void Unparsable_resources_are_issues_unsupported_types_are_skipped_and_the_rest_is_mapped()
    {
        var timeline = Map(
            Patient,
            """{"resourceType":"Observation","id":"o1",""",
            """{"resourceType":"Basic","id":"b1","code":{"text":"ignored"}}""");

        Assert.Equal(["GENDER//F@static", "MEDS_BIRTH@1950-03-04 00:00"], Rows(timeline));
        var issue = Assert.Single(timeline.Issues);
        Assert.Equal((FhirIssueCodes.InvalidJson, IssueSeverity.Error, "timeline:resource[1]"), (issue.Code, issue.Severity, issue.Path));
    }

    [Fact]
    public void A_subject_filter_keeps_only_that_subjects_events_and_subjects_come_in_id_order()
    {
        string[] resources =
        [
            Patient,
            """{"resourceType":"Patient","id":"p2","gender":"male","birthDate":"1960-01-01"}""",
            """{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/p2"},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"I10"}]},"recordedDate":"2021-01-01T00:00:00Z"}""",
        ];

        var both = Map(resources);
        var second = Map(SubjectOf("p2"), resources);

        Assert.Equal([.. new[] { SubjectOf("p1"), SubjectOf("p2") }.Order()], both.Subjects);
        Assert.Equal(both.Subjects, both.Events.Select(e => e.SubjectId).Distinct());
        Assert.Equal([SubjectOf("p2")], second.Subjects);
        Assert.Equal(["GENDER//M@static", "MEDS_BIRTH@1960-01-01 00:00", "ICD10CM//I10@2021-01-01 00:00"], Rows(second));
    }

    [Fact]
    public void A_subject_dies_once_at_the_earliest_death()
    {
        static string Died(string id, string end) => $$$$"""
            {"resourceType":"Encounter","id":"{{{{id}}}}","status":"finished","class":{"code":"IMP"},"subject":{"reference":"Patient/p1"},
             "period":{"start":"2020-01-01T08:00:00Z","end":"{{{{end}}}}"},"hospitalization":{"dischargeDisposition":{"coding":[{"code":"exp"}]}}}
            """;

        var timeline = Map(Patient, Died("e1", "2020-03-01T12:00:00Z"), Died("e2", "2020-02-01T12:00:00Z"));

        var death = Assert.Single(timeline.Events, e => e.Code == MedsSchema.DeathCode);
        Assert.Equal(new DateTime(2020, 2, 1, 12, 0, 0), death.Time);
    }

    [Fact]
    public void A_reports_contained_results_are_its_observations_in_its_context()
    {
        // A lab interface's report carries its values inside itself (result → #id → contained). The report's results
        // must reach the timeline: before, the report said its results carried the values and those were never read.
        const string report = """
            {"resourceType":"DiagnosticReport","id":"r1","status":"final","subject":{"reference":"Patient/p1"},
             "encounter":{"reference":"Encounter/e1"},"effectiveDateTime":"2020-01-02T06:00:00Z",
             "code":{"coding":[{"system":"http://loinc.org","code":"24323-8"}]},
             "contained":[
               {"resourceType":"Observation","id":"k","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2823-3"}]},
                "valueQuantity":{"value":5.9,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"}},
               {"resourceType":"Observation","id":"na","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2951-2"}]},
                "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2020-01-02T05:30:00Z",
                "valueQuantity":{"value":131,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"}},
               {"resourceType":"Observation","id":"void","status":"entered-in-error","code":{"coding":[{"system":"http://loinc.org","code":"2075-0"}]},
                "valueQuantity":{"value":99,"unit":"mmol/L"}},
               {"resourceType":"Specimen","id":"s1"}],
             "result":[{"reference":"#k"},{"reference":"#na"},{"reference":"#k"},{"reference":"#void"},{"reference":"#gone"}]}
            """;

        var timeline = Map(Patient, Inpatient, report);

        var labs = timeline.Events.Where(e => e.Code.StartsWith("LOINC//", StringComparison.Ordinal)).ToList();
        Assert.Equal(["LOINC//2951-2//mmol/L@2020-01-02 05:30", "LOINC//2823-3//mmol/L@2020-01-02 06:00"],
            labs.Select(e => $"{e.Code}@{e.Time:yyyy-MM-dd HH:mm}"));
        Assert.Equal([131f, 5.9f], labs.Select(e => e.NumericValue));
        // Both take the report's encounter; the potassium, with no subject or time of its own, the report's too.
        Assert.All(labs, e => Assert.Equal(FhirResourceLinks.EncounterIdOf("e1", s_mapping), e.EncounterId));
        Assert.All(labs, e => Assert.Equal(SubjectOf("p1"), e.SubjectId));
        // The voided one is dropped by the Observation status rule, named by where it sits; the missing one is a warning.
        var dropped = Assert.Single(timeline.Issues, i => i.Code == FhirMappingIssueCodes.StatusDropped);
        Assert.Equal("timeline:resource[2].contained.where(id='void').status", dropped.Path);
        var missing = Assert.Single(timeline.Issues, i => i.Code == FhirMappingIssueCodes.UnresolvedContainedResult);
        Assert.Equal(("timeline:resource[2].result[4]", IssueSeverity.Warning), (missing.Path, missing.Severity));
        Assert.Contains(FhirMappingIssueCodes.ReportCarriedByResults, Codes(timeline));

        // A cancelled report takes its contained results with it.
        var cancelled = Map(Patient, Inpatient, report.Replace("\"status\":\"final\",\"subject\"", "\"status\":\"cancelled\",\"subject\"", StringComparison.Ordinal));
        Assert.DoesNotContain(cancelled.Events, e => e.Code.StartsWith("LOINC//", StringComparison.Ordinal));
    }
}
