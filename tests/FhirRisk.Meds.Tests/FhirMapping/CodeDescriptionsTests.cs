using System.Text;
using FhirRisk.Fhir;
using FhirRisk.Meds.FhirMapping;
using FhirRisk.Meds.Ingestion;
using FhirRisk.Meds.Timelines;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.FhirMapping;

/// <summary>
/// The names of codes, from the displays of the codings they were mapped from: what a card shows in place of
/// "LOINC 8867-4", and codes.parquet's <c>description</c>.
/// </summary>
public sealed class CodeDescriptionsTests
{
    private const string Patient = """{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-03-04"}""";

    private static string HeartRate(string id, string display, double value, string unit) => $$$"""
        {"resourceType":"Observation","id":"{{{id}}}","status":"final","subject":{"reference":"Patient/p1"},
         "code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"{{{display}}}"}]},
         "effectiveDateTime":"2020-01-01T08:00:00Z","valueQuantity":{"value":{{{value}}},"unit":"{{{unit}}}","system":"http://unitsofmeasure.org","code":"{{{unit}}}"}}
        """;

    private const string Allergy = """
        {"resourceType":"AllergyIntolerance","id":"a1","patient":{"reference":"Patient/p1"},"recordedDate":"2020-01-01",
         "code":{"coding":[{"system":"http://snomed.info/sct","code":"91936005","display":"Allergy to penicillin"}]}}
        """;

    private const string Condition = """
        {"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"recordedDate":"2020-01-02",
         "code":{"coding":[{"system":"http://snomed.info/sct","code":"84114007","display":"Heart failure"},
                           {"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"I50.9","display":"Heart failure,\n  unspecified"}]}}
        """;

    private static FhirTimeline Map(params string[] resources) =>
        FhirTimelineMapper.Map([.. resources.Select((json, i) => new FhirResourceEnvelope(TypeOf(json), "t", $"r[{i}]", null, "t", Encoding.UTF8.GetBytes(json)))],
            new FhirMappingSettings(), FhirReaderSettings.Default);

    private static string TypeOf(string json) =>
        json.Split("\"resourceType\":\"") is [_, var rest, ..] ? rest[..rest.IndexOf('"', StringComparison.Ordinal)] : "";

    [Fact]
    public void A_mapping_names_each_code_by_the_display_of_the_coding_it_took()
    {
        var timeline = Map(Patient, HeartRate("o1", "Heart rate", 88, "/min"), Allergy, Condition);

        // The concept's code, without the unit its result came in; the coding the code was taken from (ICD-10-CM
        // ranks above SNOMED CT), on one line; an allergy by its substance.
        Assert.Equal("Heart rate", timeline.CodeDescriptions["LOINC//8867-4"]);
        Assert.Equal("Heart rate", CodeDescriptions.Lookup(timeline.CodeDescriptions, "LOINC//8867-4///min"));
        Assert.Equal("Heart failure, unspecified", timeline.CodeDescriptions["ICD10CM//I50.9"]);
        Assert.False(timeline.CodeDescriptions.ContainsKey("SNOMED//84114007"));
        Assert.Equal("Allergy: Allergy to penicillin", timeline.CodeDescriptions["ALLERGY//SNOMED//91936005"]);
        Assert.Contains(timeline.Events, e => e.Code == "LOINC//8867-4///min");
    }

    [Fact]
    public void Two_displays_of_one_code_give_one_name_whatever_order_they_come_in()
    {
        var a = Map(Patient, HeartRate("o1", "heart rate", 88, "/min"), HeartRate("o2", "Heart rate", 90, "/min"));
        var b = Map(Patient, HeartRate("o2", "Heart rate", 90, "/min"), HeartRate("o1", "heart rate", 88, "/min"));

        Assert.Equal("Heart rate", a.CodeDescriptions["LOINC//8867-4"]);
        Assert.Equal(a.CodeDescriptions, b.CodeDescriptions);
    }

    [Fact]
    public void Names_are_one_short_line_and_blanks_name_nothing()
    {
        var names = new CodeDescriptions();
        names.Add("A//1", " \t ");
        names.Add("A//2", "two\r\nlines\u0007");
        names.Add("A//3", new string('x', 500));
        names.Add("A//4", (string?)null);
        names.Add("A//5", "abc\u202Edef");
        names.Add("A//6", new string('x', CodeDescriptions.MaxLength - 2) + "😀😀");

        Assert.Null(names.Of("A//1"));
        Assert.Equal("two lines", names.Of("A//2"));
        Assert.Equal(CodeDescriptions.MaxLength, names.Of("A//3")!.Length);
        Assert.Equal("abcdef", names.Of("A//5")); // a right-to-left override would turn the card text after it around
        Assert.False(char.IsHighSurrogate(names.Of("A//6")![^2]));
        Assert.Equal(4, names.Count);
    }

    [Fact]
    public void An_allergys_name_is_its_own_codings_whatever_was_mapped_before()
    {
        // Review s23 M2: the allergy took the name its concept's code held so far, set by whichever resource with the same
        // code was mapped first.
        const string condition = """
            {"resourceType":"Condition","id":"c9","subject":{"reference":"Patient/p1"},"recordedDate":"2020-01-02",
             "code":{"coding":[{"system":"http://snomed.info/sct","code":"91936005","display":"AAA another display"}]}}
            """;

        var first = Map(Patient, condition, Allergy);
        var second = Map(Patient, Allergy, condition);

        Assert.Equal("Allergy: Allergy to penicillin", first.CodeDescriptions["ALLERGY//SNOMED//91936005"]);
        Assert.Equal(first.CodeDescriptions, second.CodeDescriptions);
    }

    [Fact]
    public void Lookup_tries_the_concept_of_a_code_with_a_unit_but_never_the_vocabulary_alone()
    {
        var names = new Dictionary<string, string> { ["LOINC//2160-0"] = "Creatinine", ["LOINC"] = "wrong" };

        Assert.Equal("Creatinine", CodeDescriptions.Lookup(names, "LOINC//2160-0//mg/dL"));
        Assert.Equal("Creatinine", CodeDescriptions.Lookup(names, "LOINC//2160-0"));
        Assert.Null(CodeDescriptions.Lookup(names, "LOINC//2345-7//mg/dL"));
        Assert.Null(CodeDescriptions.Lookup(names, "LOINC//x"));
        Assert.Null(CodeDescriptions.Lookup(names, "NOVOCAB"));
    }

    [Fact]
    public void Many_threads_naming_one_code_keep_the_least_display()
    {
        var names = new CodeDescriptions();
        Parallel.For(0, 2_000, i => names.Add("LOINC//8867-4", $"Heart rate {i % 97:D3}"));

        Assert.Equal("Heart rate 000", names.Of("LOINC//8867-4"));
    }

    [Fact]
    public void Ingestion_writes_the_names_into_codes_parquet()
    {
        using var temp = new TempDirectory();
        var input = temp.File("in.ndjson");
        File.WriteAllText(input, string.Join("\n", Patient, HeartRate("o1", "Heart rate", 88, "/min").ReplaceLineEndings(" "),
            Condition.ReplaceLineEndings(" ")) + "\n");

        new FhirIngestion(new FhirIngestionSettings { OutputFolder = temp.File("out") }).Run([input]);

        var codes = MedsDatasetReader.Open(temp.File("out")).ReadCodes().ToDictionary(c => c.Code, c => c.Description);
        Assert.Equal("Heart rate", codes["LOINC//8867-4///min"]);
        Assert.Equal("Heart failure, unspecified", codes["ICD10CM//I50.9"]);
        Assert.Null(codes["GENDER//F"]);
    }
}
