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
