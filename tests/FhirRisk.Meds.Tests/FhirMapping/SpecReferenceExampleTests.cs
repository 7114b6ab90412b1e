using FhirRisk.Core;
using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.FhirMapping;

/// <summary>
/// HL7's example of reference resolution in bundles (R4 §2.36.4, <c>Bundle-bundle-references.json</c>): entries of two
/// servers, <c>http://example.org/fhir</c> and <c>…/fhir-2</c>, referencing patients by every form.
/// </summary>
public sealed class SpecReferenceExampleTests
{
    private static readonly Lazy<RealFhirRun> s_run = new(() =>
        RealFhirRun.Of([ExternalData.Path("fhir", "spec-examples-r4", "Bundle-bundle-references.json")], "spec"));

    private static RealFhirRun.MappedResource Observation(string fullUrl) =>
        Assert.Single(s_run.Value.Resources, r => r.Resource is FhirObservation && r.Envelope.FullUrl == fullUrl);

    [ExternalDataTheory]
    [InlineData("http://example.org/fhir/Observation/123", "23")]  // Patient/23, relative to its own server
    [InlineData("http://example.org/fhir/Observation/124", "23")]  // the Patient's absolute fullUrl
    [InlineData("http://example.org/fhir/Observation/47", "45")]   // Patient/45/_history/2
    public void ReferenceToThisServersPatient_NamesThatPatient(string fullUrl, string patientId)
    {
        // The example's observations carry no time, so they map to no event (FHIRMAP007) whatever their subject.
        var observation = Observation(fullUrl);
        var subject = ((FhirObservation)observation.Resource).Subject;
        Assert.Equal(StableHash.Of63("spec|Patient/" + patientId), s_run.Value.Index.ResolveSubject(subject, observation.Envelope));
        Assert.DoesNotContain(observation.Issues, i => i.Code == FhirMappingIssueCodes.SubjectOnOtherServer);
    }

    [ExternalDataFact]
    public void ReferencesToTheOtherServerTheBundleNames_AreReadByTheirIds()
    {
        // The bundle's fullUrls name both servers, so neither reference below names a server the input does not: the
        // one to fhir-2's Patient/1 stays unresolved (FHIRMAP003, the hashed id), and fhir-2's relative Patient/23 is
        // read as the bundle's (docs/formats/fhir-ingestion.md "Other servers": relative references are read on the
        // input's own server, one service can be reached under two names).
        var toPatient1 = Observation("http://example.org/fhir/Observation/14");
        var relative = Observation("http://example.org/fhir-2/Observation/14");

        Assert.Equal(StableHash.Of63("spec|Patient/1"), s_run.Value.Index.ResolveSubject(((FhirObservation)toPatient1.Resource).Subject, toPatient1.Envelope));
        Assert.Contains(toPatient1.Issues, i => i.Code == FhirMappingIssueCodes.UnresolvedSubject);
        Assert.Equal(StableHash.Of63("spec|Patient/23"), s_run.Value.Index.ResolveSubject(((FhirObservation)relative.Resource).Subject, relative.Envelope));
    }
}
