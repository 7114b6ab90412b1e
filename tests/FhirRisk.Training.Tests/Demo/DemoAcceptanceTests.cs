using FhirRisk.Training.Demo;

namespace FhirRisk.Training.Tests.Demo;

public sealed class DemoAcceptanceTests
{
    [Fact]
    public void Markdown_ShowsPassesAndMissesAndTheOracleBesideTheHeads()
    {
        var tasks = new[]
        {
            new DemoTaskResult("hospital_mortality", 2000, 140, (0.80, 0.76, 0.84), 0.012, 0.78, 0.70, 0.82, 0.81, 0.815) { RecordReference = 0.805, HeadsMinusRecord = (-0.005, -0.02, 0.01) },
            new DemoTaskResult("icu_admission", 2000, 640, (0.64, 0.61, 0.67), 0.041, 0.62, 0.60, 0.72, 0.73) { HeadsEceIfCalibrated = 0.0376 },
        };
        var macro = new[] { new DemoMacroPoint(4, 0.60, 0.55, 9), new DemoMacroPoint(64, 0.66, 0.68, 9), new DemoMacroPoint(128, 0.60, 0.70, 9), new DemoMacroPoint(null, 0.70, 0.72, 9) };
        var result = new DemoModelResult("/out", DemoRecipe.Quick, [new DemoStageTime(DemoStages.Simulate, TimeSpan.FromSeconds(3), "n patients")],
            new DemoDataCounts(1000, 10, 150, 100, 10, 4000, 0, 0), new DemoLosses(5, 1, 3, 1, 1, 1000, 0.69, 0.3), tasks, macro, 1);

        var markdown = DemoAcceptance.Markdown(result);

        Assert.Contains("| hospital_mortality | 2,000 (140) | 0.800 (0.760–0.840) | 0.820 | 0.020 |", markdown, StringComparison.Ordinal);
        Assert.Contains("gap: pass, ECE: pass", markdown, StringComparison.Ordinal);
        Assert.Contains("| 0.041 | 0.038 | gap: **miss**, ECE: **miss** |", markdown, StringComparison.Ordinal); // the noise floor is shown, the check is on the ECE
        Assert.Contains("| 0.012 | n/a | gap: pass, ECE: pass |", markdown, StringComparison.Ordinal);
        Assert.Contains("| 0.815 | -0.015 | 0.805 | -0.005 (-0.020–0.010) |", markdown, StringComparison.Ordinal); // bound, heads − bound, record reference, paired difference
        Assert.Contains("| n/a | n/a | n/a | n/a |", markdown, StringComparison.Ordinal); // no truth beyond the oracle for ICU here
        Assert.Contains("| 4 | 0.600 | 0.550 | 0.050 | 9 | pass |", markdown, StringComparison.Ordinal);
        Assert.Contains("| 64 | 0.660 | 0.680 | -0.020 | 9 | **miss** |", markdown, StringComparison.Ordinal);
        Assert.Contains("| 128 | 0.600 | 0.700 | -0.100 | 9 | – |", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_WithAValidationCohort_ShowsItsOwnTableWithTheEceInterval()
    {
        var heldOut = new[] { new DemoTaskResult("icu_mortality", 640, 90, (0.78, 0.74, 0.83), 0.032, 0.70, 0.65, 0.78, 0.76) };
        var validation = new DemoValidation(20_000, DemoRecipe.Full.ValidationSeed, 4_800_000, 95_000, 2, 0,
        [
            new DemoTaskResult("hospital_mortality", 20_376, 1_394, (0.770, 0.759, 0.782), 0.0085, double.NaN, double.NaN, 0.819, 0.819, 0.800)
            {
                OracleGap = (0.049, 0.042, 0.059), RecordReference = 0.791, HeadsMinusRecord = (-0.021, -0.026, -0.015),
                HeadsEceInterval = (0.0053, 0.0116), HeadsEceIfCalibrated = 0.004,
            },
            new DemoTaskResult("icu_mortality", 6_408, 883, (0.749, 0.733, 0.766), 0.0123, double.NaN, double.NaN, 0.759, 0.759)
            {
                HeadsEceInterval = (0.0082, 0.0217),
            },
        ]);
        var result = new DemoModelResult("/out", DemoRecipe.Full, [], new DemoDataCounts(20_000, 10, 150, 100, 10, 18_993, 0, 0),
            new DemoLosses(5, 1, 3, 1, 1, 1000, 0.69, 0.3), heldOut, [], 1) { Validation = validation };

        var markdown = DemoAcceptance.Markdown(result);

        Assert.Contains("## The same heads on an independent validation cohort (20,000 new patients, seed 1000001)", markdown, StringComparison.Ordinal);
        Assert.Contains("95,000 (task, point) pairs against 18,993 held-out ones", markdown, StringComparison.Ordinal);
        Assert.Contains("| hospital_mortality | 20,376 (1,394) | 0.770 (0.759–0.782) | 0.819 | 0.049 (0.042–0.059) | 0.800 | 0.791 | -0.021 (-0.026–-0.015) | 0.009 (0.005–0.012) | 0.004 | gap: **miss**, ECE: pass |",
            markdown, StringComparison.Ordinal);
        Assert.Contains("| icu_mortality | 6,408 (883) | 0.749 (0.733–0.766) | 0.759 | 0.010 | n/a | n/a | n/a | 0.012 (0.008–0.022) | n/a | ECE: pass |", markdown, StringComparison.Ordinal);
        Assert.Contains("| icu_mortality | 640 (90) |", markdown, StringComparison.Ordinal); // the held-out table is still there, before it
        Assert.True(markdown.IndexOf("| icu_mortality | 640 (90) |", StringComparison.Ordinal) < markdown.IndexOf("validation cohort", StringComparison.Ordinal));
    }

    [Fact]
    public void Markdown_WithoutAValidationCohort_HasNoValidationSection()
    {
        var result = new DemoModelResult("/out", DemoRecipe.Quick with { ValidationPatients = 0 }, [], new DemoDataCounts(1000, 10, 150, 100, 10, 4000, 0, 0),
            new DemoLosses(5, 1, 3, 1, 1, 1000, 0.69, 0.3), [], [], 1);

        Assert.DoesNotContain("validation cohort", DemoAcceptance.Markdown(result), StringComparison.Ordinal);
    }

    [Fact]
    public void ValidationSeed_IsTheRunSeedPlusTheOffset_AndNeverTheRunSeed()
    {
        Assert.Equal(1_000_001UL, DemoRecipe.Full.ValidationSeed);
        Assert.Equal(998_999UL, (DemoRecipe.Full with { Seed = ulong.MaxValue - 1_000 }).ValidationSeed); // wraps: 2^64 − 1,001 + 1,000,000
        Assert.NotEqual(DemoRecipe.Quick.Seed, DemoRecipe.Quick.ValidationSeed);
    }

    [Fact]
    public void The_generative_backbone_is_pretrained_with_the_run_seed_plus_one_and_the_rest_with_the_run_seed()
    {
        var resolved = (DemoRecipe.Full with { Seed = 7 }).Resolve();
        Assert.Equal((7UL, 8UL, 7UL), (resolved.Pretraining.Seed, resolved.Generative!.Seed, resolved.Finetuning.Seed));
        Assert.Equal(2UL, DemoRecipe.Full.GenerativeSeed); // the default run's: chosen on the tuning split (DemoRecipe.GenerativeSeed)
        Assert.Equal(0UL, (DemoRecipe.Full with { Seed = ulong.MaxValue }).GenerativeSeed); // wraps
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(5)]
    public void Resolve_BadValidationPatients_Throws(int patients)
    {
        var error = Assert.Throws<ArgumentException>(() => (DemoRecipe.Quick with { ValidationPatients = patients }).Resolve());

        Assert.Contains("ValidationPatients", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_AppliesTheSeedAndThreadsToEveryStage()
    {
        var recipe = (DemoRecipe.Full with { Seed = 7, Threads = 3 }).Resolve();

        Assert.Equal(7UL, recipe.Pretraining.Seed);
        Assert.Equal(7UL, recipe.Finetuning.Seed);
        Assert.Equal(3, recipe.Pretraining.Threads);
        Assert.Equal(3, recipe.Finetuning.Threads);
    }

    [Fact]
    public void Resolve_TooFewPatients_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => (DemoRecipe.Quick with { Patients = 3 }).Resolve());

        Assert.Contains("Patients", error.Message, StringComparison.Ordinal);
    }
}
