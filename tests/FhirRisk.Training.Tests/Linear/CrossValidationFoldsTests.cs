using FhirRisk.Training.Linear;

namespace FhirRisk.Training.Tests.Linear;

public sealed class CrossValidationFoldsTests
{
    [Fact]
    public void Assign_KeepsEachGroupInOneFold_AndGivesEveryFoldBothClasses()
    {
        var random = new Random(21);
        var groups = Enumerable.Range(0, 300).Select(_ => (long)random.Next(80)).ToArray();
        var labels = groups.Select(g => g % 7 == 0 ? random.NextDouble() < 0.8 : random.NextDouble() < 0.1).ToArray();

        var folds = CrossValidationFolds.Assign(labels, groups, folds: 5, seed: 3)!;

        Assert.NotNull(folds);
        Assert.All(groups.Distinct(), g => Assert.Single(folds.Where((_, i) => groups[i] == g).Distinct()));
        for (var f = 0; f < 5; f++)
        {
            var members = Enumerable.Range(0, 300).Where(i => folds[i] == f).ToArray();
            Assert.Contains(members, i => labels[i]);
            Assert.Contains(members, i => !labels[i]);
        }
    }

    [Fact]
    public void Assign_IsDeterministicForASeed_AndTheSeedMatters()
    {
        var labels = Enumerable.Range(0, 100).Select(i => i % 4 == 0).ToArray();
        var groups = Enumerable.Range(0, 100).Select(i => (long)i).ToArray();

        var first = CrossValidationFolds.Assign(labels, groups, 5, seed: 1);
        var again = CrossValidationFolds.Assign(labels, groups, 5, seed: 1);
        var other = CrossValidationFolds.Assign(labels, groups, 5, seed: 2);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Assign_UsesFewerFoldsWhenAClassHasFewGroups()
    {
        // Three patients hold all positives: at most three folds can each see one.
        var labels = Enumerable.Range(0, 60).Select(i => i < 6).ToArray();
        var groups = Enumerable.Range(0, 60).Select(i => (long)(i < 6 ? i / 2 : i)).ToArray();

        var folds = CrossValidationFolds.Assign(labels, groups, 5, seed: 0)!;

        Assert.Equal(3, folds.Max() + 1);
    }

    [Fact]
    public void Assign_OneGroupOfAClass_CannotCrossValidate()
    {
        bool[] labels = [true, true, false, false];
        long[] groups = [7, 7, 8, 9];

        Assert.Null(CrossValidationFolds.Assign(labels, groups, 5, seed: 0));
    }
}
