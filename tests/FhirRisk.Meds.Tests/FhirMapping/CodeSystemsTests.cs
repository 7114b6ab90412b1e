using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;

namespace FhirRisk.Meds.Tests.FhirMapping;

public sealed class CodeSystemsTests
{
    [Theory]
    [InlineData("http://loinc.org", "2160-0", "LOINC//2160-0")]
    [InlineData("https://loinc.org/", "2160-0", "LOINC//2160-0")]
    [InlineData("http://snomed.info/sct", "44054006", "SNOMED//44054006")]
    [InlineData("http://www.nlm.nih.gov/research/umls/rxnorm", "860975", "RXNORM//860975")]
    [InlineData("http://hl7.org/fhir/sid/icd-10-cm", "E11.9", "ICD10CM//E11.9")]
    [InlineData("http://hl7.org/fhir/sid/cvx", "140", "CVX//140")]
    [InlineData("urn:oid:2.16.840.1.113883.6.1", "2160-0", "LOINC//2160-0")]
    [InlineData("urn:oid:2.16.840.1.113883.6.96", "44054006", "SNOMED//44054006")]
    [InlineData("urn:oid:2.16.840.1.113883.6.88", "860975", "RXNORM//860975")]
    [InlineData("urn:oid:2.16.840.1.113883.6.90", "E11.9", "ICD10CM//E11.9")]
    [InlineData("urn:oid:2.16.840.1.113883.12.292", "140", "CVX//140")]
    [InlineData("http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-diagnosis-icd9", "4280", "ICD9CM//4280")]
    [InlineData("http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-diagnosis-icd10", "I5020", "ICD10CM//I5020")]
    [InlineData("http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-procedure-icd9", "5491", "ICD9PROC//5491")]
    [InlineData("http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-procedure-icd10", "0DH67UZ", "ICD10PCS//0DH67UZ")]
    [InlineData("http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-d-items", "226560", "MIMIC_D_ITEMS//226560")]
    [InlineData("http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-medication-name", "CloniDINE", "MIMIC_MEDICATION_NAME//CloniDINE")]
    [InlineData("http://example.org/local", " X1 ", "OTHER//http://example.org/local//X1")]
    [InlineData(null, "X1", "OTHER//NONE//X1")]
    public void ToCode_KnownAndUnknownSystems_MapsToVocabularyPrefix(string? system, string code, string expected) =>
        Assert.Equal(expected, CodeSystems.ToCode(new FhirCoding(system, code)));

    [Fact]
    public void ToCode_CodingWithoutCode_ReturnsNull() =>
        Assert.Null(CodeSystems.ToCode(new FhirCoding("http://loinc.org", "  ")));

    [Fact]
    public void PickMostSpecific_MixedCodings_PrefersByPriorityNotOrder()
    {
        var concept = new FhirCodeableConcept(
        [
            new FhirCoding("http://example.org/local", "A"),
            new FhirCoding("http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-medication-gsn", "063231"),
            new FhirCoding("http://snomed.info/sct", "123"),
            new FhirCoding("http://hl7.org/fhir/sid/ndc", "35356011006"),
        ]);
        Assert.Equal("NDC//35356011006", CodeSystems.ToCode(concept));
    }

    [Fact]
    public void PickMostSpecific_LocalBeforeUnknown_PrefersMimicLocal()
    {
        var concept = new FhirCodeableConcept(
        [
            new FhirCoding("http://example.org/local", "A"),
            new FhirCoding("http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-d-items", "220045"),
        ]);
        Assert.Equal("MIMIC_D_ITEMS//220045", CodeSystems.ToCode(concept));
    }

    [Fact]
    public void PickMostSpecific_NoCodedCoding_ReturnsNull() =>
        Assert.Null(CodeSystems.PickMostSpecific(new FhirCodeableConcept([new FhirCoding("http://loinc.org", null)], "text only")));
}
