using FhirRisk.Core;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests;

public sealed class MedsValidatorTests
{
    [Fact]
    public void Validate_OurWriterOutput_NoIssues()
    {
        using var temp = new TempDirectory();
        var settings = new MedsDatasetWriterSettings { Clock = new FixedClock(DateTimeOffset.UnixEpoch), MaxSubjectsPerShard = 5 };
        MedsDatasetWriterTests.Write(temp.Path, SyntheticSubjects.Generate(seed: 1, count: 40), settings);

        var issues = MedsValidator.Validate(temp.Path, new MedsValidationOptions { Strict = true });

        Assert.Empty(issues);
    }

    [ExternalDataFact]
    public void Validate_MimicDemo_ValidWithKnownWarnings()
    {
        var issues = MedsValidator.Validate(RealDatasets.MimicDemo);

        Assert.True(MedsValidator.IsValid(issues), string.Join('\n', issues.Where(i => i.Severity == IssueSeverity.Error)));
        var codes = issues.Select(i => i.Code).ToHashSet();
        Assert.Contains(MedsIssueCodes.MedsVersionMismatch, codes);
        Assert.Contains(MedsIssueCodes.CodeNotInMetadata, codes);
        Assert.Equal("data/train", Assert.Single(issues, i => i.Code == MedsIssueCodes.SplitWithoutShards).Path);
    }

    [ExternalDataFact]
    public void Validate_TestingHelpers_ValidAndListsUnlistedCodes()
    {
        var issues = MedsValidator.Validate(RealDatasets.TestingHelpers);

        Assert.True(MedsValidator.IsValid(issues), string.Join('\n', issues));
        var unlisted = issues.Where(i => i.Code == MedsIssueCodes.CodeNotInMetadata).Select(i => i.Message.Split('\'')[1]);
        Assert.Equal(["ADMISSION//CARDIAC", "ADMISSION//ORTHOPEDIC", "ADMISSION//PULMONARY", "DISCHARGE", "HEIGHT", "MEDS_BIRTH"], unlisted);
        Assert.All(issues, i => Assert.Equal(MedsIssueCodes.CodeNotInMetadata, i.Code));
    }

    [ExternalDataFact]
    public void Validate_TestingHelpersStrict_UnlistedCodesAreErrors()
    {
        var issues = MedsValidator.Validate(RealDatasets.TestingHelpers, new MedsValidationOptions { Strict = true });

        Assert.False(MedsValidator.IsValid(issues));
        Assert.All(issues, i => Assert.Equal(IssueSeverity.Error, i.Severity));
    }
}
