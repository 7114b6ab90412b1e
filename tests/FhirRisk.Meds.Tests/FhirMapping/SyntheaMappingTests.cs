using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.FhirMapping;

/// <summary>Golden checks on the 12 Synthea R4 transaction bundles (urn:uuid references inside each bundle).</summary>
public sealed class SyntheaMappingTests
{
    private static readonly Lazy<RealFhirRun> s_run = new(() =>
        RealFhirRun.Of([ExternalData.Path("fhir", "synthea-r4-bundles")], "synthea"));

    private static RealFhirRun Run => s_run.Value;

    [ExternalDataFact]
    public void Synthea_EveryPatient_HasBirthAndGender()
    {
        var patients = Run.Resources.Where(r => r.Resource is FhirPatient).ToList();
        Assert.Equal(12, patients.Count);
        Assert.All(patients, p => Assert.Contains(p.Events, e => e.Code == "MEDS_BIRTH"));
        Assert.All(patients, p => Assert.Single(p.Events, e => e.Code is "GENDER//F" or "GENDER//M"));
    }

    [ExternalDataFact]
    public void Synthea_LabsAndVitals_LoincCodesWithUcumUnits()
    {
        var numeric = Run.Events.Where(e => e.NumericValue is not null && e.Code.StartsWith("LOINC//", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(numeric);
        Assert.All(numeric, e => Assert.Equal(3, e.Code.Split("//").Length));
        Assert.Contains(numeric, e => e.Code == "LOINC//8480-6//mm[Hg]");
        Assert.Contains(numeric, e => e.Code == "LOINC//2339-0//mg/dL");
    }

    [ExternalDataFact]
    public void Synthea_References_AllSubjectsResolved()
    {
        Assert.Equal(0, Run.Quarantined);
        Assert.DoesNotContain(Run.Resources.SelectMany(r => r.Issues), i =>
            i.Code is FhirMappingIssueCodes.UnresolvedSubject or FhirMappingIssueCodes.MissingSubject or FhirMappingIssueCodes.UnresolvedEncounter);
        var subjects = Run.Index.SubjectMap.Select(s => s.SubjectId).ToHashSet();
        Assert.All(Run.Events, e => Assert.Contains(e.SubjectId, subjects));
        Assert.Contains(Run.Events, e => e.Code.StartsWith("RXNORM//", StringComparison.Ordinal));
        Assert.Contains(Run.Events, e => e.Code.StartsWith("CVX//", StringComparison.Ordinal));
    }
}
