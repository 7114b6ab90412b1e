using FhirRisk.Core;
using FhirRisk.Testing;

namespace FhirRisk.Fhir.Tests;

/// <summary>Golden reads of the shared corpora (../shared/data/fhir and the MIMIC-IV demo FHIR export).</summary>
public sealed class RealDataTests
{
    private static readonly string[] ParseIssueCodes = [FhirIssueCodes.InvalidJson, FhirIssueCodes.NestingTooDeep,
        FhirIssueCodes.MissingResourceType, FhirIssueCodes.ResourceNotObject, FhirIssueCodes.ResourceTooLarge];

    [ExternalDataFact]
    public void Read_MimicDemoFiles_CountsMatchProvenance()
    {
        var run = ReadRun.OfPaths(ExternalData.Path("mimic-iv-demo", "mimic-iv-fhir-demo-2.1.0", "fhir"));

        AssertNoUnrecoverable(run);
        var perFile = run.Envelopes.GroupBy(e => Path.GetFileName(e.SourceFile)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(28, perFile.Count);
        Assert.Equal(100, perFile["MimicPatient.ndjson.gz"]);
        Assert.Equal(275, perFile["MimicEncounter.ndjson.gz"]);
        Assert.Equal(140, perFile["MimicEncounterICU.ndjson.gz"]);
        Assert.Equal(4506, perFile["MimicCondition.ndjson.gz"]);
        Assert.Equal(36131, perFile["MimicMedicationAdministration.ndjson.gz"]);
        Assert.Equal(17552, perFile["MimicMedicationRequest.ndjson.gz"]);
        Assert.Equal(1, perFile["MimicOrganization.ndjson.gz"]);
        var counts = run.CountByType();
        Assert.Equal(4506 + 545, counts["Condition"]);
        Assert.Equal(275 + 140 + 222, counts["Encounter"]);
        Assert.Equal(1480 + 314, counts["Medication"]);
        Assert.Equal(12458, counts["Specimen"]);
        var patients = run.Results.Select(r => r.Resource).OfType<Model.FhirPatient>().ToList();
        Assert.Equal(31, patients.Count(p => p.DeceasedDateTime is not null));
        var died = run.Results.Select(r => r.Resource).OfType<Model.FhirEncounter>()
            .Count(e => e.DischargeDisposition?.Codings.Any(c => c.Code == "DIED") == true);
        Assert.Equal(15, died);
        Assert.All(run.Envelopes, e => Assert.Equal(Path.GetDirectoryName(e.SourceFile), e.Scope));
    }

    [ExternalDataFact]
    public void Read_SyntheaBundlesAndCorpus_ParseWithoutUnrecoverableIssues()
    {
        var run = ReadRun.OfPaths(ExternalData.Path("fhir", "synthea-r4-bundles"), ExternalData.Path("fhir", "synthea-r4-corpus"));

        AssertNoUnrecoverable(run);
        Assert.Equal(12 + 506, run.Envelopes.Select(e => e.SourceFile).Distinct().Count());
        Assert.Equal(518, run.CountByType()["Patient"]);
        Assert.All(run.Envelopes, e => Assert.NotNull(e.FullUrl));
        Assert.DoesNotContain(run.Results, r => r.Outcome == FhirParseOutcome.Parsed && r.Issues.Count > 0);
    }

    [ExternalDataFact]
    public void Read_BulkNdjsonExport_ReadsEveryLine()
    {
        var folder = ExternalData.Path("fhir", "bulk-ndjson-10-patients");
        var run = ReadRun.OfPaths(folder);

        // log.ndjson is the bulk-data client's own log, not FHIR: its 4 lines have no resourceType and are quarantined.
        var log = Path.Combine(folder, "log.ndjson");
        Assert.Equal(Enumerable.Repeat(FhirIssueCodes.MissingResourceType, 4), run.Issues.Where(i => i.Path.StartsWith(log, StringComparison.Ordinal)).Select(i => i.Code));
        Assert.Equal(4, run.Quarantine.Entries.Count);
        run.Issues.RemoveAll(i => i.Path.StartsWith(log, StringComparison.Ordinal));
        AssertNoUnrecoverable(run);
        foreach (var file in Directory.GetFiles(folder, "*.ndjson").Where(f => f != log))
        {
            var lines = File.ReadLines(file).Count(l => l.Trim().Length > 0);
            Assert.Equal(lines, run.Envelopes.Count(e => e.SourceFile == file));
        }
        Assert.Equal(13, run.CountByType()["Patient"]); // 10 alive + 3 deceased (PROVENANCE.md §2)
    }

    [ExternalDataFact]
    public void Read_SpecExamples_All235ParseOrSkip()
    {
        var folder = ExternalData.Path("fhir", "spec-examples-r4");
        var run = ReadRun.OfPaths(folder);

        // The folder holds 234 examples and the npm package.json they came with (not a resource: FHIR004). The batch
        // request bundle has only request entries (no resources: FHIR016 each), so 233 files yield envelopes.
        var package = Assert.Single(run.Issues, i => i.Severity == IssueSeverity.Error);
        Assert.Equal((FhirIssueCodes.MissingResourceType, Path.Combine(folder, "package.json")), (package.Code, package.Path));
        run.Issues.Remove(package);
        var requestOnly = Path.Combine(folder, "Bundle-bundle-request-medsallergies.json");
        Assert.Equal(5, run.Issues.Count(i => i.Code == FhirIssueCodes.EntryWithoutResource && i.Path.StartsWith(requestOnly, StringComparison.Ordinal)));
        Assert.Equal(233, run.Envelopes.Select(e => e.SourceFile).Distinct().Count());
        AssertNoUnrecoverable(run);
        Assert.Contains(run.Results, r => r.Outcome == FhirParseOutcome.Skipped);
        // The example package has no Location or MedicationDispense examples (PROVENANCE.md §3); every other type parses.
        Assert.Equal(FhirResourceParser.SupportedTypes.Except(["Location", "MedicationDispense"]).Order(StringComparer.Ordinal),
            run.Results.Where(r => r.Outcome == FhirParseOutcome.Parsed).Select(r => r.Resource!.ResourceType).Distinct().Order(StringComparer.Ordinal));
    }

    private static void AssertNoUnrecoverable(ReadRun run)
    {
        var readIssues = run.Issues.Where(i => ParseIssueCodes.Contains(i.Code) || i.Severity == IssueSeverity.Error).Select(i => i.ToString()).ToList();
        Assert.Empty(readIssues);
        Assert.Empty(run.Failed().Select(f => $"{f.Envelope.SourceFile}:{f.Envelope.Location}: {f.Result.Issues[0]}"));
    }
}
