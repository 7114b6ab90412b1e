namespace FhirRisk.Fhir.Tests;

public sealed class FhirReferencesTests
{
    [Theory]
    [InlineData("Patient/123", FhirReferenceKind.Relative, "Patient", "123")]
    [InlineData("Patient/123/_history/4", FhirReferenceKind.Relative, "Patient", "123")]
    [InlineData("https://example.org/fhir/Patient/abc-1", FhirReferenceKind.Absolute, "Patient", "abc-1")]
    [InlineData("http://example.org/fhir/Encounter/e.1/_history/2", FhirReferenceKind.Absolute, "Encounter", "e.1")]
    [InlineData("urn:uuid:2b4c7e3a-0000-4000-8000-000000000001", FhirReferenceKind.UrnUuid, null, "2b4c7e3a-0000-4000-8000-000000000001")]
    [InlineData("#med1", FhirReferenceKind.Contained, null, "med1")]
    [InlineData("Patient?identifier=http://x|123", FhirReferenceKind.Conditional, "Patient", null)]
    [InlineData("", FhirReferenceKind.Invalid, null, null)]
    [InlineData(null, FhirReferenceKind.Invalid, null, null)]
    [InlineData("#", FhirReferenceKind.Invalid, null, null)]
    [InlineData("urn:oid:1.2.3", FhirReferenceKind.Invalid, null, null)]
    [InlineData("patient/123", FhirReferenceKind.Invalid, null, null)]
    [InlineData("Patient/", FhirReferenceKind.Invalid, null, null)]
    [InlineData("http://", FhirReferenceKind.Invalid, null, null)]
    public void Parse_Reference_ReturnsKindTypeAndId(string? reference, FhirReferenceKind kind, string? type, string? id)
    {
        var target = FhirReferences.Parse(reference);
        Assert.Equal(kind, target.Kind);
        Assert.Equal(type, target.ResourceType);
        Assert.Equal(id, target.Id);
        Assert.Equal(reference ?? "", target.Raw);
    }

    [Theory]
    [InlineData("https://Example.ORG/fhir/Patient/abc-1", "https://example.org/fhir")]
    [InlineData("http://example.org/fhir-2/Observation/14/_history/2", "http://example.org/fhir-2")]
    [InlineData("https://ehr.example:8443/R4/Patient/1", "https://ehr.example:8443/R4")]
    [InlineData("https://ehr.example/Patient/1", "https://ehr.example")]
    [InlineData("https://ehr.example//fhir//Patient/1", "https://ehr.example/fhir")]
    [InlineData("Patient/1", null)]
    [InlineData("urn:uuid:2b4c7e3a-0000-4000-8000-000000000001", null)]
    [InlineData("https://ehr.example/fhir/Patient?identifier=1", null)]
    [InlineData("https://ehr.example/fhir/metadata", null)]
    [InlineData("ftp://ehr.example/fhir/Patient/1", null)]
    [InlineData(null, null)]
    public void BaseOf_AbsoluteUrl_IsTheServerBeforeTypeAndId(string? url, string? expected) =>
        Assert.Equal(expected, FhirReferences.BaseOf(url));

    [Theory]
    [InlineData("Patient/77", null, "77")]
    [InlineData("Patient/77/_history/3", "https://ehr.example/fhir/Patient/x", "77")]
    [InlineData("https://EHR.example/fhir/Patient/77", "https://ehr.example/fhir/Patient/x", "77")]
    [InlineData("https://ehr.example/fhir/Patient/77/_history/2", "https://ehr.example/fhir/Patient/x/_history/9", "77")]
    // Another server's chart, or a server the linking Patient does not name: no chart of ours (review s24-store H1).
    [InlineData("https://mpi.other.example/fhir/Patient/77", "https://ehr.example/fhir/Patient/x", null)]
    [InlineData("https://ehr.example/other/Patient/77", "https://ehr.example/fhir/Patient/x", null)]
    [InlineData("https://ehr.example/fhir/Patient/77", null, null)]
    [InlineData("https://ehr.example/fhir/Patient/77", "urn:uuid:2b4c7e3a-0000-4000-8000-000000000001", null)]
    [InlineData("urn:uuid:2b4c7e3a-0000-4000-8000-000000000001", "urn:uuid:2b4c7e3a-0000-4000-8000-000000000002", null)]
    [InlineData("Observation/77", null, null)]
    [InlineData("Patient?identifier=77", null, null)]
    [InlineData("#p77", null, null)]
    [InlineData(null, null, null)]
    public void SameServerPatient_IsALinksPatientOnTheLinkingPatientsOwnServer(string? link, string? ownFullUrl, string? expected) =>
        Assert.Equal(expected, FhirReferences.SameServerPatient(link, ownFullUrl));

    [Theory]
    [InlineData("urn:uuid:6e1c9a52-0000-4000-8000-00000000000a", "6e1c9a52-0000-4000-8000-00000000000a")]
    [InlineData("urn:uuid:6E1C9A52-0000-4000-8000-00000000000A", "6E1C9A52-0000-4000-8000-00000000000A")]
    [InlineData("URN:UUID:6e1c9a52-0000-4000-8000-00000000000a", null)] // the store matches fullUrls exactly
    [InlineData("urn:uuid:6e1c9a520000400080000000000000a0", null)] // not the hyphenated form
    [InlineData("urn:uuid:abc", null)]
    [InlineData("urn:oid:1.2.3", null)]
    [InlineData(" urn:uuid:6e1c9a52-0000-4000-8000-00000000000a", null)]
    [InlineData(null, null)]
    public void UuidOfUrn_IsTheUuidOfAnUrnUuidInItsHyphenatedForm(string? text, string? expected) =>
        Assert.Equal(expected, FhirReferences.UuidOfUrn(text));
}
