using FhirRisk.Meds;
using FhirRisk.Meds.Ingestion;
using FhirRisk.Meds.Tasks;
using FhirRisk.Testing;

namespace FhirRisk.Synthetic.Tests;

/// <summary>
/// Our own FHIR ingestion reads a simulated export with no issue at all, and the MEDS events it derives line up with the
/// ground truth: every admission, ICU stay (a <c>partOf</c> sub-encounter), ED visit and death at the truth's times.
/// </summary>
public sealed class SimulatedIngestionTests
{
    [Fact]
    public void Ingest_SimulatedExport_HasNoIssues_AndEventsMatchTheTruth()
    {
        using var temp = new TempDirectory("fhirrisk-simulate-ingest");
        var summary = CohortSimulatorTests.Simulate(temp.File("export"), patients: 250, seed: 3);
        var ingestion = new FhirIngestion(new FhirIngestionSettings { OutputFolder = temp.File("meds") }).Run([temp.File("export")]);

        Assert.Empty(ingestion.IssuesByCode);
        Assert.Equal(0, ingestion.Quarantined);
        Assert.All(ingestion.ResourcesByType.Values, counts => Assert.Equal(counts.Read, counts.Parsed));
        Assert.Equal(summary.ResourceCount, ingestion.Resources);
        Assert.Equal(250, ingestion.Subjects);

        var (truth, _) = TruthFile.Read(temp.File("export"));
        var events = MedsDatasetReader.Open(temp.File("meds")).ReadEvents().ToList();

        var admissions = truth.Where(r => r.Task == TaskCatalog.HospitalMortality).ToList();
        Assert.Equal(
            admissions.Select(r => (r.SubjectId, r.AdmissionTime, (long?)r.MedsEncounterId)).Order(),
            events.Where(e => e.Code == "HOSPITAL_ADMISSION//IMP").Select(e => (e.SubjectId, e.Time!.Value, e.EncounterId)).Order());

        var icuStays = truth.Where(r => r.Task == TaskCatalog.IcuMortality).ToList();
        Assert.NotEmpty(icuStays);
        var icuAdmissions = events.Where(e => e.Code.StartsWith("ICU_ADMISSION//", StringComparison.Ordinal)).ToList();
        Assert.Equal(icuStays.Select(r => (r.SubjectId, r.PredictionTime)).Order(), icuAdmissions.Select(e => (e.SubjectId, e.Time!.Value)).Order());
        Assert.All(icuAdmissions, e => Assert.Contains(e.Code["ICU_ADMISSION//".Length..], Codes.IcuUnits.All.Select(u => u.Name)));
        Assert.Equal(icuStays.Count, events.Count(e => e.Code == "ICU_DISCHARGE"));

        var edVisits = truth.Where(r => r.Task == TaskCatalog.EdHospitalization).ToList();
        Assert.Equal(edVisits.Select(r => (r.SubjectId, r.AdmissionTime)).Order(),
            events.Where(e => e.Code == "ED_REGISTRATION").Select(e => (e.SubjectId, e.Time!.Value)).Order());

        var deaths = events.Where(e => e.Code == MedsSchema.DeathCode).ToList();
        Assert.Equal(summary.Deaths, deaths.Count);
        var hospitalDeaths = events.Where(e => e.Code == "HOSPITAL_DISCHARGE//exp").Select(e => (e.SubjectId, e.Time)).ToHashSet();
        Assert.Equal(admissions.Count(r => r.Outcome), hospitalDeaths.Count);
        Assert.All(hospitalDeaths, d => Assert.Contains(d, deaths.Select(e => (e.SubjectId, e.Time))));

        Assert.Contains(events, e => e.Code == "LOINC//2524-7//mmol/L" && e.NumericValue > 0);
        Assert.Contains(events, e => e.Code.StartsWith("ICD10CM//", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Code == "RXNORM//1659149" && e.TextValue == "administered");
        Assert.Contains(events, e => e.Code.StartsWith("SNOMED//", StringComparison.Ordinal));
    }
}
