using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Meds.Ingestion;

namespace FhirRisk.Meds.Tests.Ingestion;

public sealed class IngestionTallyTests
{
    [Fact]
    public void Summarize_Counts_ByTypeFamilyAndCodeOrdinal()
    {
        var tally = new IngestionTally(maxIssuesKept: 2);
        tally.Resource("Patient", FhirParseOutcome.Parsed);
        tally.Resource("Patient", FhirParseOutcome.Failed);
        tally.Resource("Device", FhirParseOutcome.Skipped);
        foreach (var code in new[] { "LOINC//2160-0//mg/dL", "LOINC//8867-4", "MEDS_BIRTH", "GENDER//F" })
            tally.Event(code);
        tally.Issues([Issue.Error("FHIR002", "a", "m"), Issue.Warning("FHIRMAP001", "b", "m"), Issue.Error("FHIR002", "c", "m")]);

        var summary = tally.Summarize(quarantined: 1, files: 2, bytesRead: 100, subjects: 1, events: 4, TimeSpan.FromSeconds(1));

        Assert.Equal(["Device", "Patient"], summary.ResourcesByType.Keys);
        Assert.Equal(new FhirResourceCounts(2, 1, 0, 1), summary.ResourcesByType["Patient"]);
        Assert.Equal(new FhirResourceCounts(1, 0, 1, 0), summary.ResourcesByType["Device"]);
        Assert.Equal(["GENDER", "LOINC", "MEDS_BIRTH"], summary.EventsByCodeFamily.Keys);
        Assert.Equal(2, summary.EventsByCodeFamily["LOINC"]);
        Assert.Equal(2, summary.IssuesByCode["FHIR002"]);
        Assert.Equal(["a", "b"], summary.Issues.Select(i => i.Path));
        Assert.Equal(3, summary.Resources);
        Assert.False(summary.NothingIngested);
    }

    [Fact]
    public void Summarize_TypeThatIsNotR4_CountedAsOtherNeverByItsText()
    {
        // Review phi.md #6: the table printed any resourceType verbatim, so input text reached stdout.
        var tally = new IngestionTally(maxIssuesKept: 0);
        tally.Resource("ZQXTYPE Quarvenholt MRN-ZQX-778899", FhirParseOutcome.Skipped);
        tally.Resource("patient", FhirParseOutcome.Skipped);
        tally.Resource("Coverage", FhirParseOutcome.Skipped);

        var summary = tally.Summarize(quarantined: 0, files: 1, bytesRead: 1, subjects: 0, events: 0, TimeSpan.Zero);

        Assert.Equal([IngestionTally.OtherResourceType, "Coverage"], summary.ResourcesByType.Keys);
        Assert.Equal(new FhirResourceCounts(2, 0, 2, 0), summary.ResourcesByType[IngestionTally.OtherResourceType]);
    }
}
