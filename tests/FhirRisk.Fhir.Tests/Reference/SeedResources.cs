namespace FhirRisk.Fhir.Tests.Reference;

/// <summary>
/// One resource of each ingested type, with every element the parser reads (and some it does not), for the fuzz when
/// the external corpus is missing; with the corpus, real resources are added.
/// </summary>
internal static class SeedResources
{
    public static readonly IReadOnlyList<string> All =
    [
        """
        {"resourceType":"Patient","id":"p1","meta":{"profile":["http://p"],"versionId":"1"},"identifier":[{"system":"s","value":"v"}],
         "gender":"female","birthDate":"1970-05","deceasedDateTime":"2020-01-01T00:00:00Z","deceasedBoolean":true,
         "extension":[{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race","extension":[
           {"url":"ombCategory","valueCoding":{"system":"urn:oid:2.16.840.1.113883.6.238","code":"2106-3","display":"White"}},
           {"url":"text","valueString":"White"}]},{"url":"http://x/birthsex","valueCode":"F"},
           {"url":"http://x/c","valueCodeableConcept":{"coding":[{"code":"c"}],"text":"t"}}],"name":[{"family":"F"}],
         "link":[{"other":{"reference":"Patient/p0"},"type":"replaces"},{"other":{"reference":"Patient/p2"},"type":"replaced-by"}]}
        """,
        """
        {"resourceType":"Encounter","id":"e1","status":"finished","class":{"system":"s","code":"IMP"},"type":[{"text":"t"}],
         "serviceType":{"text":"st"},"subject":{"reference":"Patient/1"},"period":{"start":"2023-01-01T00:00:00Z","end":"2023-01-03"},
         "hospitalization":{"admitSource":{"text":"ER"},"dischargeDisposition":{"coding":[{"code":"DIED"}]}},
         "partOf":{"reference":"Encounter/h"},"location":[{"location":{"reference":"Location/icu"},"physicalType":{"text":"ward"},
         "period":{"start":"2023-01-01T00:00:00Z"}},{"physicalType":{"text":"no location"}}],"reasonCode":[{"text":"r"}]}
        """,
        """{"resourceType":"Location","id":"l1","name":"ICU","type":[{"coding":[{"code":"ICU"}]}],"physicalType":{"text":"wa"}}""",
        """
        {"resourceType":"Condition","subject":{"reference":"Patient/1"},"encounter":{"reference":"Encounter/1"},
         "code":{"coding":[{"system":"http://snomed.info/sct","code":"1"}]},"category":[{"text":"c"}],
         "clinicalStatus":{"text":"active"},"verificationStatus":{"text":"confirmed"},"onsetDateTime":"2023-02-03T23:30:00-02:00",
         "onsetPeriod":{"start":"2020"},"onsetAge":{"value":52,"unit":"a","system":"http://unitsofmeasure.org","code":"a"},"abatementDateTime":"2023-03","abatementPeriod":{"end":"2024"},"recordedDate":"2023-02-04"}
        """,
        """
        {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},
         "subject":{"reference":"Patient/1"},"encounter":{"reference":"Encounter/1"},"category":[{"text":"vital-signs"}],
         "effectiveDateTime":"2023-01-01T10:00:00Z","effectiveInstant":"2023-01-01T10:00:00Z","effectivePeriod":{"start":"2023"},
         "issued":"2023-01-01T10:00:00.123Z","valueQuantity":{"value":1.5,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL","comparator":"<"},
         "dataAbsentReason":{"text":"d"},"referenceRange":[{"low":{"value":1},"high":{"value":2}},{"low":{"value":3}}],
         "component":[{"code":{"text":"c"},"valueQuantity":{"value":120}},{"valueRange":{"low":{"value":3},"high":{"value":4}}},
           {"valueRatio":{"numerator":{"value":1},"denominator":{"value":4}}},{"valueInteger":7},{"valueBoolean":true},
           {"valueTime":"10:00:00"},{"valueSampledData":{}},{"valueString":"s"},{"valuePeriod":{"start":"2023"}},
           {"valueDateTime":"2023-01-01"},{"valueCodeableConcept":{"text":"pos"},"dataAbsentReason":{"text":"x"}}]}
        """,
        """
        {"resourceType":"DiagnosticReport","status":"final","subject":{"reference":"Patient/1"},"encounter":{"reference":"Encounter/1"},
         "code":{"text":"panel"},"effectivePeriod":{"start":"2023-01-01T00:00:00Z","end":"2023-01-02T00:00:00Z"},"issued":"2023-01-02T00:00:00Z",
         "result":[{"reference":"Observation/1"},{"reference":"Observation/2","display":"d"}],"conclusionCode":[{"text":"ok"}]}
        """,
        """
        {"resourceType":"Medication","id":"m1","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"860975"}]},
         "ingredient":[{"itemCodeableConcept":{"text":"a"}},{"itemReference":{"reference":"Substance/1"}},{"itemCodeableConcept":{"text":"b"}}]}
        """,
        """
        {"resourceType":"MedicationRequest","status":"active","intent":"order","doNotPerform":false,"subject":{"reference":"Patient/1"},
         "encounter":{"reference":"Encounter/1"},"contained":[{"resourceType":"Medication","id":"m","code":{"text":"tab"}},
         {"resourceType":"Practitioner","id":"x"},{"id":"y","resourceType":"Medication"}],"medicationReference":{"reference":"#m"},
         "medicationCodeableConcept":{"text":"tab"},"authoredOn":"2023-01-05","dosageInstruction":[{"text":"1 tab","route":{"text":"oral"},
         "doseAndRate":[{"doseRange":{"low":{"value":1}}},{"doseQuantity":{"value":1,"unit":"tab"}}]},{"text":"second"}],
         "dispenseRequest":{"numberOfRepeatsAllowed":2,"quantity":{"value":30},"validityPeriod":{"start":"2023-01-05","end":"2023-02-05"}}}
        """,
        """
        {"resourceType":"MedicationAdministration","status":"completed","subject":{"reference":"Patient/1"},"context":{"reference":"Encounter/1"},
         "medicationCodeableConcept":{"coding":[{"code":"c"}]},"effectivePeriod":{"start":"2023-01-01T00:00:00Z","end":"2023-01-01T01:00:00Z"},
         "dosage":{"text":"t","route":{"text":"IV"},"dose":{"value":5,"unit":"mg"},"rateQuantity":{"value":1,"unit":"mL/h"},
         "rateRatio":{"numerator":{"value":2},"denominator":{"value":1}}}}
        """,
        """
        {"resourceType":"MedicationDispense","status":"completed","subject":{"reference":"Patient/1"},"context":{"reference":"Encounter/1"},
         "medicationReference":{"reference":"Medication/1"},"whenHandedOver":"2023-01-02T00:00:00Z","whenPrepared":"2023-01-01T00:00:00Z",
         "quantity":{"value":30},"daysSupply":{"value":10,"unit":"d"},"dosageInstruction":[{"text":"daily","route":{"text":"oral"}}]}
        """,
        """
        {"resourceType":"MedicationStatement","status":"active","subject":{"reference":"Patient/1"},"context":{"reference":"Encounter/1"},
         "medicationCodeableConcept":{"text":"x"},"effectiveDateTime":"2023-01-01","dateAsserted":"2023-01-02","dosage":[{"text":"t","route":{"text":"r"},
         "doseAndRate":[{"doseQuantity":{"value":2}}]}]}
        """,
        """
        {"resourceType":"MedicationStatement","status":"active","subject":{"reference":"Patient/1"},
         "medicationReference":{"reference":"Medication/1"},"dateAsserted":"2023-01-02T03:04:05Z"}
        """,
        """
        {"resourceType":"Procedure","status":"completed","subject":{"reference":"Patient/1"},"encounter":{"reference":"Encounter/1"},
         "code":{"text":"p"},"performedPeriod":{"start":"2023-01-01T00:00:00Z","end":"2023-01-01T02:00:00Z"},"performedDateTime":"2023-01-01T00:00:00Z",
         "performedAge":{"value":3,"unit":"mo","system":"http://unitsofmeasure.org","code":"mo"}}
        """,
        """
        {"resourceType":"Immunization","status":"completed","patient":{"reference":"Patient/1"},"encounter":{"reference":"Encounter/1"},
         "vaccineCode":{"text":"flu"},"occurrenceDateTime":"2023-01-01","occurrenceString":"last spring","recorded":"2023-01-02"}
        """,
        """
        {"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/1"},"encounter":{"reference":"Encounter/1"},"code":{"text":"nuts"},
         "clinicalStatus":{"text":"active"},"verificationStatus":{"text":"confirmed"},"category":["food","medication"],
         "onsetInstant":"2023-01-01T00:00:00Z","onsetAge":{"value":"x"},"recordedDate":"2023-01-02"}
        """,
    ];
}
