using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.FhirMapping;

/// <summary>Golden checks of the mapping rules on all 28 MIMIC-IV demo FHIR files (issue 3 acceptance).</summary>
public sealed class MimicMappingTests
{
    private static readonly Lazy<RealFhirRun> s_run = new(() =>
        RealFhirRun.Of([ExternalData.Path("mimic-iv-demo", "mimic-iv-fhir-demo-2.1.0", "fhir")], "mimic"));

    private static RealFhirRun Run => s_run.Value;

    [ExternalDataFact]
    public void Mimic_AllFilesRead_NoQuarantine()
    {
        Assert.Equal(0, Run.Quarantined);
        Assert.Equal(100, Run.Resources.Count(r => r.Resource is FhirPatient));
        Assert.Equal(637, Run.Resources.Count(r => r.Resource is FhirEncounter));
    }

    [ExternalDataFact]
    public void Mimic_EveryIcuEncounter_YieldsIcuAdmissionAndDischarge()
    {
        var icu = Run.Resources.Where(r => r.Envelope.SourceFile.EndsWith("MimicEncounterICU.ndjson.gz", StringComparison.Ordinal)).ToList();
        Assert.Equal(140, icu.Count);
        foreach (var stay in icu)
        {
            Assert.Single(stay.Events, e => e.Code.StartsWith("ICU_ADMISSION//", StringComparison.Ordinal) && !e.Code.EndsWith("UNKNOWN", StringComparison.Ordinal));
            Assert.Single(stay.Events, e => e.Code == "ICU_DISCHARGE");
            Assert.DoesNotContain(stay.Events, e => e.Code.StartsWith("HOSPITAL_", StringComparison.Ordinal));
        }
        Assert.Equal(140, Run.Events.Count(e => e.Code.StartsWith("ICU_ADMISSION//", StringComparison.Ordinal)));
    }

    [ExternalDataFact]
    public void Mimic_HospitalAdmissions_EqualHospitalEncounters()
    {
        var hospital = Run.Resources.Count(r => r.Envelope.SourceFile.EndsWith("MimicEncounter.ndjson.gz", StringComparison.Ordinal));
        Assert.Equal(275, hospital);
        Assert.Equal(hospital, Run.Events.Count(e => e.Code.StartsWith("HOSPITAL_ADMISSION//", StringComparison.Ordinal)));
        Assert.Equal(hospital, Run.Events.Count(e => e.Code.StartsWith("HOSPITAL_DISCHARGE//", StringComparison.Ordinal)));
        Assert.Equal(222, Run.Events.Count(e => e.Code == "ED_REGISTRATION"));
    }

    [ExternalDataFact]
    public void Mimic_Deaths_AgreeWithDispositionsAndPatients()
    {
        var diedSubjects = Run.Resources.Where(r => r.Resource is FhirEncounter enc && FhirIndex.IsDeathDisposition(enc.DischargeDisposition))
            .Select(r => Run.Index.ResolveSubject(((FhirEncounter)r.Resource).Subject, r.Envelope)!.Value).ToHashSet();
        var deceasedSubjects = Run.Resources.Where(r => r.Resource is FhirPatient { DeceasedDateTime: not null })
            .Select(r => Run.Index.ResolveSubject(new FhirReference("Patient/" + r.Resource.Id), r.Envelope)!.Value).ToHashSet();
        var deaths = Run.Events.Where(e => e.Code == "MEDS_DEATH").ToList();
        Assert.Equal(15, diedSubjects.Count);
        Assert.Equal(deceasedSubjects.Union(diedSubjects).Order(), deaths.Select(d => d.SubjectId).Order());
        var dischargeDeaths = Run.Events.Where(e => e.Code == "HOSPITAL_DISCHARGE//DIED").ToDictionary(e => e.SubjectId, e => e.Time);
        Assert.All(deaths.Where(d => diedSubjects.Contains(d.SubjectId)), d => Assert.Equal(dischargeDeaths[d.SubjectId], d.Time));
    }

    [ExternalDataFact]
    public void Mimic_EveryResource_YieldsEventsOrAnIssue()
    {
        var silent = Run.Resources
            .Where(r => r.Resource is not (FhirLocation or FhirMedication) && r.Events.Count == 0 && r.Issues.Count == 0)
            .Select(r => $"{r.Resource.ResourceType} {r.Envelope.SourceFile}:{r.Envelope.Location}")
            .Take(5).ToList();
        Assert.Empty(silent);
    }

    [ExternalDataFact]
    public void Mimic_ConditionsProceduresAdministrations_OneEventPerResource()
    {
        foreach (var type in new[] { "Condition", "Procedure", "MedicationAdministration" })
        {
            var resources = Run.Resources.Where(r => r.Resource.ResourceType == type).ToList();
            Assert.NotEmpty(resources);
            Assert.All(resources, r => Assert.Single(r.Events));
        }
        // MIMIC conditions carry no dates: their time and encounter_id both come from the hospital encounter.
        Assert.All(Run.Resources.Where(r => r.Resource is FhirCondition), r => Assert.NotNull(r.Events[0].EncounterId));
        Assert.Contains(Run.Events, e => e.Code.StartsWith("ICD9CM//", StringComparison.Ordinal));
        Assert.Contains(Run.Events, e => e.Code.StartsWith("ICD10CM//", StringComparison.Ordinal));
        Assert.Contains(Run.Events, e => e.Code.StartsWith("ICD9PROC//", StringComparison.Ordinal));
    }

    [ExternalDataFact]
    public void Mimic_SubjectMap_HundredPatientsNoCollisions()
    {
        Assert.Equal(100, Run.Index.SubjectMap.Count);
        Assert.Empty(Run.Index.Collisions);
        var subjects = Run.Index.SubjectMap.Select(s => s.SubjectId).ToHashSet();
        Assert.All(Run.Events, e => Assert.Contains(e.SubjectId, subjects));
    }
}
